"""The ledger's arithmetic: credits, debits over lots, debt."""

from __future__ import annotations

from datetime import date

import pytest

from loyalty.domain.ledger import Account, LedgerCorruptionError, Lot, credit, debit
from loyalty.errors import InsufficientPointsError

JAN, FEB = date(2027, 1, 31), date(2027, 2, 28)


def test_credit_adds_a_lot_and_bumps_the_version():
    posting = credit(Account(available=10, version=3), 25, JAN)
    assert posting.after == Account(available=35, version=4)
    assert posting.points == 25
    assert posting.seq == 4
    assert posting.lot_credit is not None
    assert (posting.lot_credit.expires_on, posting.lot_credit.points) == (
        JAN,
        25,
    )


def test_credit_settles_debt_first():
    posting = credit(Account(available=0, debt=30, version=1), 50, JAN)
    assert (posting.after.available, posting.after.debt) == (20, 0)
    assert (posting.points, posting.debt_settled) == (20, 30)


def test_credit_smaller_than_debt_credits_nothing_and_creates_no_lot():
    posting = credit(Account(debt=30, version=1), 10, JAN)
    assert (posting.after.available, posting.after.debt, posting.points, posting.lot_credit) == (
        0,
        20,
        0,
        None,
    )


def test_debit_takes_oldest_expiry_first_and_never_expiring_last():
    lots = [Lot(None, 10), Lot(FEB, 10), Lot(JAN, 10)]
    posting = debit(Account(available=30, version=5), lots, 15)
    assert [(draw.lot.expires_on, draw.points) for draw in posting.draws] == [(JAN, 10), (FEB, 5)]
    assert posting.after.available == 15
    assert posting.points == -15


def test_debit_beyond_available_is_refused():
    with pytest.raises(InsufficientPointsError):
        debit(Account(available=5, version=1), [Lot(JAN, 5)], 6)


def test_clawback_beyond_available_becomes_debt():
    posting = debit(Account(available=5, version=1), [Lot(JAN, 5)], 12, shortfall="debt")
    assert (posting.after.available, posting.after.debt, posting.points, posting.debt_incurred) == (
        0,
        7,
        -5,
        7,
    )


def test_lots_that_disagree_with_the_balance_are_refused():
    with pytest.raises(LedgerCorruptionError):
        debit(Account(available=10, version=1), [Lot(JAN, 9)], 1)


@pytest.mark.parametrize("points", [-1])
def test_negative_amounts_are_programming_errors(points):
    with pytest.raises(ValueError, match="not negative"):
        credit(Account(), points, None)
    with pytest.raises(ValueError, match="not negative"):
        debit(Account(), [], points)
