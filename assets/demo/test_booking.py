import unittest
from datetime import date

from booking import format_price, stay_nights, stay_price


class StayNightsTest(unittest.TestCase):
    def test_one_night(self):
        nights = stay_nights(date(2024, 3, 4), date(2024, 3, 5))
        self.assertEqual(nights, [date(2024, 3, 4)], "Mon 4 to Tue 5 March is one night")

    def test_rejects_check_out_before_check_in(self):
        with self.assertRaises(ValueError):
            stay_nights(date(2024, 3, 5), date(2024, 3, 4))


class StayPriceTest(unittest.TestCase):
    def test_weekday_stay(self):
        # Mon 4 -> Thu 7 March: three weekday nights at $100.
        self.assertEqual(stay_price(date(2024, 3, 4), date(2024, 3, 7)), 30000)

    def test_weekend_stay(self):
        # Fri 8 -> Mon 11 March: Friday and Saturday at $150, Sunday at $100.
        self.assertEqual(stay_price(date(2024, 3, 8), date(2024, 3, 11)), 40000)

    def test_sunday_night(self):
        # Sun 10 -> Mon 11 March: one Sunday night, a weekday rate of $100.
        self.assertEqual(stay_price(date(2024, 3, 10), date(2024, 3, 11)), 10000)


class FormatPriceTest(unittest.TestCase):
    def test_cents(self):
        self.assertEqual(format_price(1205), "$12.05")

    def test_thousands(self):
        self.assertEqual(format_price(123456789), "$1,234,567.89")


if __name__ == "__main__":
    unittest.main()
