const parts = [];
for (let i = 1; i <= 200000; i++) parts.push(`item ${i} of ${i * 2}`);
const text = parts.join(",");
