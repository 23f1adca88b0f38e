"""Booking codes: digits only, Damm check digit catches one wrong or two swapped digits."""
import random

from shared_db.ledger.codes import CODE_LENGTH, clean_code, damm_digit, is_valid_code, new_code, spoken_groups


def test_new_codes_are_digits_with_a_valid_check_digit():
    for _ in range(500):
        code = new_code()
        assert len(code) == CODE_LENGTH and code.isdigit() and code[0] != "0"
        assert is_valid_code(code)


def test_every_single_wrong_digit_is_caught():
    rng = random.Random(1)
    for _ in range(200):
        code = new_code()
        pos = rng.randrange(CODE_LENGTH)
        for digit in "0123456789":
            if digit != code[pos]:
                assert not is_valid_code(code[:pos] + digit + code[pos + 1:])


def test_every_swap_of_neighbouring_digits_is_caught():
    for _ in range(300):
        code = new_code()
        for i in range(CODE_LENGTH - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
                assert not is_valid_code(swapped)


def test_known_damm_value_and_helpers():
    assert damm_digit("572") == "4"  # the textbook example
    assert clean_code(" 123-456 789 ") == "123456789"
    assert spoken_groups("123456789") == ["123", "456", "789"]
    assert not is_valid_code("12345") and not is_valid_code("abcdefghi")
