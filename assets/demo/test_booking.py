import unittest
from datetime import date

from booking import format_price, stay_nights, stay_price


class StayNightsTest(unittest.TestCase):
    def test_one_night(self):
        nights = stay_nights(date(2024, 3, 4), date(2024, 3, 5))
        self.assertEqual(
            nights,
            [date(2024, 3, 4)],
            "a stay from Mon 4 to Tue 5 March is one night; the check-out day is not a night",
        )

    def test_rejects_check_out_before_check_in(self):
        with self.assertRaises(ValueError):
            stay_nights(date(2024, 3, 5), date(2024, 3, 4))

    def test_rejects_same_day(self):
        with self.assertRaises(ValueError):
            stay_nights(date(2024, 3, 4), date(2024, 3, 4))


class StayPriceTest(unittest.TestCase):
    def test_weekend_stay(self):
        # Thu 7 -> Sun 10 March: Thursday (weekday), Friday and Saturday (weekend) nights.
        price = stay_price(date(2024, 3, 7), date(2024, 3, 10), weekday_cents=10000, weekend_cents=15000)
        self.assertEqual(price, 40000, "3 nights: 1 weekday at $100 + 2 weekend at $150 = $400")


class FormatPriceTest(unittest.TestCase):
    def test_cents(self):
        self.assertEqual(format_price(1205), "$12.05")

    def test_thousands(self):
        self.assertEqual(format_price(123456789), "$1,234,567.89")


if __name__ == "__main__":
    unittest.main()
