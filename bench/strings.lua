local parts = {}
for i = 1, 200000 do parts[#parts + 1] = "item " .. i .. " of " .. (i * 2) end
local text = table.concat(parts, ",")
