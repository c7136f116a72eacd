"""Hotel stay pricing: which nights a stay covers and what they cost."""

from datetime import date, timedelta

# Friday and Saturday nights are weekend nights (date.weekday(): Monday is 0).
WEEKEND_NIGHTS = {4, 5}


def stay_nights(check_in: date, check_out: date) -> list[date]:
    """The nights of a stay: every date from check-in up to, but not including, check-out."""
    if check_out <= check_in:
        raise ValueError(f"check-out {check_out} must be after check-in {check_in}")
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days + 1)]


def stay_price(check_in: date, check_out: date, weekday_cents: int, weekend_cents: int) -> int:
    """The price of a stay in cents: each night at the weekday or the weekend rate."""
    return sum(
        weekend_cents if night.weekday() in WEEKEND_NIGHTS else weekday_cents
        for night in stay_nights(check_in, check_out)
    )


def format_price(cents: int) -> str:
    """A price for people: 12345 -> "$123.45"."""
    return f"${cents // 100:,}.{cents % 100:02d}"
