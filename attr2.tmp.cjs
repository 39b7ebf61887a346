const fs=require('fs'),{SourceMapConsumer}=require('source-map-js');
const code=fs.readFileSync('dist/call-widget.js','utf8');const map=JSON.parse(fs.readFileSync('dist/call-widget.js.map','utf8'));
const c=new SourceMapConsumer(map);const lines=code.split('\n');const segs=[];c.eachMapping(m=>segs.push(m));
segs.sort((a,b)=>a.generatedLine-b.generatedLine||a.generatedColumn-b.generatedColumn);
let out='';for(let i=0;i<segs.length;i++){const s=segs[i],n=segs[i+1];if(!(s.source||'').includes(process.argv[2]))continue;
 const len=(n&&n.generatedLine===s.generatedLine)?n.generatedColumn-s.generatedColumn:lines[s.generatedLine-1].length-s.generatedColumn;out+=lines[s.generatedLine-1].substr(s.generatedColumn,len);}
console.log(out);
