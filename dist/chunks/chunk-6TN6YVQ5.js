import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{a}from"./chunk-FQZ53SH7.js";var l=128*1024;async function m(n,i,f,e,o){let r=a(n,i,f,t=>s(e,t)).then(()=>e.end(),t=>e.destroy(t instanceof Error?t:void 0));try{return await o(e)}finally{e.destroy(),await r}}function s(n,i){return new Promise((f,e)=>{let o=()=>e(new Error("the stream closed"));n.once("close",o),n.write(i,r=>{n.off("close",o),r?e(r):f()})})}export{l as a,m as b};
//# sourceMappingURL=chunk-6TN6YVQ5.js.map
