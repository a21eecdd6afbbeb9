// 100,000 one-shots spread evenly over one second.
let left = 100000;
const start = process.hrtime.bigint();
const late = [];
for (let i = 0; i < 100000; i++) {
  const due = start + BigInt(i * 10000);
  setTimeout(() => {
    late.push(Number(process.hrtime.bigint() - due) / 1e6);
    if (--left === 0) report();
  }, i * 0.01);
}
function report() {
  late.sort((a, b) => a - b);
  console.error(`lateness p50 ${late[late.length >> 1].toFixed(2)} ms, p99 ${late[Math.floor(late.length * 0.99)].toFixed(2)} ms`);
}
