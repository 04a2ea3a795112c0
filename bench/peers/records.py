"""The rows both sides of the Python benchmark write: deterministic users."""
from datetime import datetime, timedelta, timezone

CITIES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Perth", "Tunis", "Lima"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def user(i):
    return {
        "id": i,
        "name": f"user {i}",
        "email": f"user{i}@example.com",
        "city": CITIES[i % len(CITIES)],
        "age": 18 + i % 60,
        "score": (i * 7919 % 10000) / 100.0,
        "active": i % 3 != 0,
        "created_at": (START + timedelta(seconds=i)).isoformat(),
    }


def pages(count, size=1000):
    for start in range(1, count + 1, size):
        yield [user(i) for i in range(start, min(start + size, count + 1))]
