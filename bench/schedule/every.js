// 1,000 setInterval(10 ms) for two seconds.
const late = [];
const start = process.hrtime.bigint();
const timers = [];
for (let i = 0; i < 1000; i++) {
  let k = 0;
  const t0 = process.hrtime.bigint();
  late.push(0); // the first fire is immediate in keel; count it the same way
  timers.push(setInterval(() => {
    k++;
    late.push(Number(process.hrtime.bigint() - (t0 + BigInt(k) * 10000000n)) / 1e6);
  }, 10));
}
setTimeout(() => {
  timers.forEach(clearInterval);
  late.sort((a, b) => a - b);
  console.error(`ticks ${late.length}, lateness p50 ${late[late.length >> 1].toFixed(2)} ms, p99 ${late[Math.floor(late.length * 0.99)].toFixed(2)} ms`);
}, 2000);
