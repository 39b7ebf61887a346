/** Resume tokens, on the registry alone with a clock of the test's own: expiry, strictness, single use, churn. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { RESUME_TOKEN_TTL_SECONDS, RoomRegistry, type Participant } from '../../server/rooms.js';

const SECRET = Buffer.from('a-fixed-resume-secret');

function registry(clock = { now: 1_800_000_000_000 }, restoreWindowMs = 60_000) {
  return { clock, rooms: new RoomRegistry({ resumeSecret: SECRET, now: () => clock.now, restoreWindowMs }) };
}

function seated(rooms: RoomRegistry, room: string): Participant {
  const outcome = rooms.join(room, 'socket');
  assert.ok(outcome.ok);
  return outcome.self;
}

describe('resume tokens', () => {
  it('bring their participant back once: a resume spends the token, and the next one comes with it', () => {
    const { rooms } = registry();
    const alice = seated(rooms, 'r');
    const token = rooms.tokenFor(alice);
    const first = rooms.resumable(token, 'r');
    assert.ok(first.ok && first.participant === alice);
    assert.deepEqual(rooms.resumable(token, 'r'), { ok: false, rateLimited: false });
    const next = rooms.tokenFor(alice);
    assert.ok(rooms.resumable(next, 'r').ok);
  });

  it('expire a day after they were issued', () => {
    const { rooms, clock } = registry();
    const alice = seated(rooms, 'r');
    const token = rooms.tokenFor(alice);
    clock.now += RESUME_TOKEN_TTL_SECONDS * 1000 + 1000;
    assert.equal(rooms.resumable(token, 'r').ok, false);
  });

  it('are read strictly: nothing appended, nothing changed, nothing added to the claim', () => {
    const { rooms } = registry();
    const alice = seated(rooms, 'r');
    const token = rooms.tokenFor(alice);
    const [body, mac] = token.split('.');
    const claim = JSON.parse(Buffer.from(body, 'base64url').toString());
    // Signed with the right secret but not a claim this server issues: an extra field, a wrong type.
    const resign = (changed: object) => {
      const forged = Buffer.from(JSON.stringify(changed)).toString('base64url');
      return `${forged}.${createHmac('sha256', SECRET).update(forged).digest('base64url')}`;
    };
    for (const variant of [
      `${token}.anything`,
      `${token}.`,
      `${body}.${mac.slice(0, -1)}`,
      `${body}..${mac}`,
      `${Buffer.from(JSON.stringify({ ...claim, p: !claim.p })).toString('base64url')}.${mac}`,
      resign({ ...claim, extra: 1 }),
      resign({ ...claim, e: String(claim.e) }),
      ` ${token}`,
    ]) {
      assert.equal(rooms.resumable(variant, 'r').ok, false, variant);
    }
    assert.ok(rooms.resumable(token, 'r').ok, 'the genuine one still works');
  });

  it('of a participant that left stay worthless however many come and go after it', () => {
    const { rooms } = registry();
    const alice = seated(rooms, 'r');
    const token = rooms.tokenFor(alice);
    rooms.leave(alice);
    // The churn that pushed a departed participant out of the old global list (10,000 entries).
    for (let i = 0; i < 12_000; i++) rooms.leave(seated(rooms, `churn-${i % 50}`));
    assert.equal(rooms.resumable(token, 'r').ok, false);
  });

  it('are rate-limited per participant', () => {
    const { rooms } = registry();
    const alice = seated(rooms, 'r');
    const outcomes = Array.from({ length: 8 }, () => rooms.resumable(rooms.tokenFor(alice), 'r'));
    assert.ok(outcomes.some((outcome) => !outcome.ok && outcome.rateLimited), JSON.stringify(outcomes.map((o) => o.ok)));
  });

  it('after a restart, restore their participant once, only within the restore window, with the peer the token names', () => {
    const clock = { now: 1_800_000_000_000 };
    const before = registry(clock).rooms;
    const alice = seated(before, 'r');
    const bob = seated(before, 'r');
    const aliceToken = before.tokenFor(alice);
    const aloneToken = before.tokenFor(seated(before, 'solo'));

    const after = registry(clock).rooms;
    const restored = after.resumable(aliceToken, 'r');
    assert.ok(restored.ok);
    assert.equal(restored.participant.id, alice.id);
    // Bob's place is held under the id in Alice's signed token, not under one the client could make up.
    assert.equal(restored.placeholder?.id, bob.id);
    assert.equal(after.resumable(aliceToken, 'r').ok, false, 'once');
    const solo = after.resumable(aloneToken, 'solo');
    assert.ok(solo.ok);
    assert.equal(solo.placeholder, null, 'a token that names no peer holds no place');

    const late = registry(clock).rooms;
    clock.now += 61_000;
    assert.equal(late.resumable(before.tokenFor(bob), 'r').ok, false, 'past the window');
  });
});

describe('leave beacons (POST /leave)', () => {
  it('name their participant only with its current token, and spend nothing', () => {
    const { rooms, clock } = registry();
    const alice = seated(rooms, 'r');
    const token = rooms.tokenFor(alice);
    assert.equal(rooms.leaving(token), alice);
    assert.equal(rooms.leaving(token), alice, 'nothing is spent: a resume may still come first');
    const [body, mac] = token.split('.');
    assert.equal(rooms.leaving(`${body}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`), null, 'forged');
    assert.ok(rooms.resumable(token, 'r').ok);
    assert.equal(rooms.leaving(token), null, 'replaced by a resume');
    const current = rooms.tokenFor(alice);
    assert.equal(rooms.leaving(current), alice);
    clock.now += RESUME_TOKEN_TTL_SECONDS * 1000 + 1000;
    assert.equal(rooms.leaving(current), null, 'expired');
  });

  it('name nobody once their participant has left', () => {
    const { rooms } = registry();
    const alice = seated(rooms, 'r');
    const bob = seated(rooms, 'r');
    const token = rooms.tokenFor(alice);
    assert.equal(rooms.leave(alice), bob);
    assert.equal(rooms.leaving(token), null);
    assert.equal(rooms.leave(alice), null, 'a second leave tells the peer nothing more');
  });

  it("after a restart, name the place held for a participant, but restore no one who is not back", () => {
    const clock = { now: 1_800_000_000_000 };
    const before = registry(clock).rooms;
    const alice = seated(before, 'r');
    const bob = seated(before, 'r');
    const aliceToken = before.tokenFor(alice);
    const bobToken = before.tokenFor(bob);
    const after = registry(clock).rooms;
    assert.equal(after.leaving(bobToken), null, 'nobody is there yet');
    const restored = after.resumable(aliceToken, 'r');
    assert.ok(restored.ok && restored.placeholder);
    assert.equal(after.leaving(bobToken), restored.placeholder);
  });
});
