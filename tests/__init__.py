"""trailcheck's tests: a package so that test modules and ``tests.helpers`` import by one name."""
