"""Hotel stay pricing: which nights a stay covers and what they cost."""

from datetime import date, timedelta

# The rate of a night in cents, by the weekday it starts on (date.weekday(): Monday is 0 and
# Sunday is 6). Friday and Saturday nights cost more.
NIGHTLY_CENTS = [10000, 10000, 10000, 10000, 15000, 15000, 10000]


def stay_nights(check_in: date, check_out: date) -> list[date]:
    """The nights of a stay: every date from check-in up to, but not including, check-out."""
    if check_out <= check_in:
        raise ValueError(f"check-out {check_out} must be after check-in {check_in}")
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def night_price(night: date) -> int:
    """The price of one night in cents."""
    return RATES[night.weekday()]


def stay_price(check_in: date, check_out: date) -> int:
    """The price of a stay in cents: each night at its weekday's rate."""
    return sum(night_price(night) for night in stay_nights(check_in, check_out))


def format_price(cents: int) -> str:
    """A price for people: 12345 -> "$123.45"."""
    return f"${cents // 100:,}.{cents % 100:02d}"
