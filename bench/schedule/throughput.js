// 1,000,000 messages through a mailbox to one consumer, delivered one per macrotask batch.
const mailbox = [];
let n = 0, scheduled = false;
function deliver() {
  scheduled = false;
  while (mailbox.length) { mailbox.shift(); n++; }
}
function send(x) { mailbox.push(x); if (!scheduled) { scheduled = true; setImmediate(deliver); } }
let batch = 0;
function produce() {
  for (let i = 0; i < 1000; i++) send(i);
  if (++batch < 1000) setImmediate(produce);
}
produce();
