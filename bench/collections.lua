local xs = {}
for i = 1, 1000000 do xs[i] = i * 3 end
local total = 0
for _, x in ipairs(xs) do if x % 2 == 0 then total = total + x end end
