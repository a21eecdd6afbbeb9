// N async functions (argument; default 10,000) each awaiting a one-second sleep on a hand-driven virtual clock
// (the same work as tasks.keel on --virtual-time, without waiting for real).
const timers = [];
let now = 0;
const sleep = (ms) => new Promise((resolve) => timers.push([now + ms, resolve]));
async function main() {
  const tasks = [];
  const n = Number(process.argv[2] || 10000);
  for (let i = 1; i <= n; i++) tasks.push((async () => { await sleep(1000); return i; })());
  const all = Promise.all(tasks);
  while (timers.length) {
    timers.sort((a, b) => a[0] - b[0]);
    const batch = timers.splice(0);
    for (const [due, resolve] of batch) { now = due; resolve(); }
    await new Promise((r) => setImmediate(r));
  }
  console.log((await all).reduce((a, b) => a + b, 0));
}
main();
