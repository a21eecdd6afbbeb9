xs = list(map(lambda x: x * 3, range(1, 1000001)))
total = sum(filter(lambda x: x % 2 == 0, xs))
