parts = []
for i in range(1, 200001):
    parts.append(f"item {i} of {i * 2}")
text = ",".join(parts)
