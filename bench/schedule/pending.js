const n = Number(process.argv[2] || 0);
for (let i = 0; i < n; i++) setTimeout(() => {}, 3600000);
setTimeout(() => process.exit(0), 1000);
