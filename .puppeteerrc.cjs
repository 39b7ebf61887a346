// `puppeteer` (which @web/test-runner-puppeteer depends on) would download a Chrome and a Firefox of its own when
// installed: the tests drive the system's browsers (test/support/), and test machines have no internet.
module.exports = { skipDownload: true };
