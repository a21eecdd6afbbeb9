let total = 0;
let i = 0;
while (i < 10000000) {
  total = total + i % 7;
  i += 1;
}
