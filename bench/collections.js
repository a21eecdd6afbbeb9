const xs = [];
for (let i = 1; i <= 1000000; i++) xs.push(i);
const total = xs.map((x) => x * 3).filter((x) => x % 2 === 0).reduce((a, b) => a + b, 0);
