// The peer of messages.keel: 1,000,000 events through a bounded queue (an array with a head
// index) to a handler that updates state, in batches of 1,000 acknowledged by an event.
const CAPACITY = 1024;
let queue = [];
let head = 0;
const state = { n: 0 };
function send(handler, payload) {
  if (queue.length - head >= CAPACITY) throw new Error("busy");
  queue.push([handler, payload]);
}
function onMessage(x) {
  state.n += 1;
  if (state.n % 1000 === 0) send(onAck, state.n);
  if (state.n === 1000000) { queue = []; head = 0; }
}
function onAck(n) {
  for (let i = 1; i <= 1000; i++) send(onMessage, i);
}
send(onAck, 0);
while (head < queue.length) {
  const [handler, payload] = queue[head++];
  if (head > 4096) { queue = queue.slice(head); head = 0; }
  handler(payload);
}
if (state.n !== 1000000) throw new Error("count " + state.n);
