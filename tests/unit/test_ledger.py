"""The ledger's arithmetic: credits, debits over lots, pending points, debt."""

from __future__ import annotations

from datetime import date

import pytest

from loyalty.domain.ledger import (
    Account,
    LedgerCorruptionError,
    Lot,
    change_status,
    credit,
    debit,
    expire,
    mature,
    next_expiry,
)
from loyalty.errors import InsufficientPointsError

JAN, FEB = date(2027, 1, 31), date(2027, 2, 28)
TODAY, LATER = date(2027, 1, 1), date(2027, 1, 8)


def test_credit_adds_a_lot_and_bumps_the_version():
    posting = credit(Account(available=10, version=3), [Lot(JAN, 10)], 25, JAN, today=TODAY)
    assert posting.after == Account(available=35, version=4)
    assert (posting.points, posting.seq) == (25, 4)
    assert posting.lots_after == (Lot(JAN, 35),)  # same expiry date: one lot


def test_pending_credit_is_not_spendable():
    posting = credit(
        Account(available=10, version=1), [Lot(JAN, 10)], 25, JAN, available_on=LATER, today=TODAY
    )
    assert (posting.after.available, posting.after.pending) == (10, 25)
    assert posting.lot_credit is not None
    assert posting.lot_credit.available_on == LATER


def test_credit_settles_debt_first():
    posting = credit(Account(available=0, debt=30, version=1), [], 50, JAN, today=TODAY)
    assert (posting.after.available, posting.after.debt) == (20, 0)
    assert (posting.points, posting.debt_settled) == (20, 30)


def test_credit_smaller_than_debt_credits_nothing_and_creates_no_lot():
    posting = credit(Account(debt=30, version=1), [], 10, JAN, today=TODAY)
    assert (posting.after.available, posting.after.debt, posting.points) == (0, 20, 0)
    assert posting.lot_credit is None


def test_debit_takes_oldest_expiry_first_and_never_expiring_last():
    lots = [Lot(None, 10), Lot(FEB, 10), Lot(JAN, 10)]
    posting = debit(Account(available=30, version=5), lots, 15, today=TODAY)
    assert [(lot.expires_on, taken) for lot, taken in posting.drawn] == [(JAN, 10), (FEB, 5)]
    assert (posting.after.available, posting.points) == (15, -15)
    assert posting.lots_after == (Lot(FEB, 5), Lot(None, 10))


def test_debit_beyond_available_is_refused():
    with pytest.raises(InsufficientPointsError):
        debit(Account(available=5, version=1), [Lot(JAN, 5)], 6, today=TODAY)


def test_pending_points_cannot_be_spent_before_their_date():
    lots = [Lot(JAN, 5), Lot(FEB, 20, available_on=LATER)]
    with pytest.raises(InsufficientPointsError):
        debit(Account(available=5, pending=20, version=1), lots, 6, today=TODAY)


def test_matured_points_are_spendable_and_the_maturation_is_written_with_the_debit():
    lots = [Lot(FEB, 5), Lot(FEB, 20, available_on=LATER)]
    posting = debit(Account(available=5, pending=20, version=1), lots, 10, today=LATER)
    assert (posting.after.available, posting.after.pending) == (15, 0)
    assert posting.lots_after == (Lot(FEB, 15),)


def test_mature_moves_due_pending_lots_only():
    account, lots = mature(
        Account(available=1, pending=30, version=1),
        [Lot(JAN, 1), Lot(JAN, 10, available_on=LATER), Lot(FEB, 20, available_on=date(2027, 2, 1))],
        LATER,
    )
    assert (account.available, account.pending) == (11, 20)
    assert sorted((lot.expires_on, lot.remaining, lot.available_on) for lot in lots) == [
        (JAN, 11, None),
        (FEB, 20, date(2027, 2, 1)),
    ]


def test_refund_inside_the_return_window_cancels_the_pending_points_first():
    lots = [Lot(JAN, 50), Lot(FEB, 30, available_on=LATER)]
    posting = debit(
        Account(available=50, pending=30, version=2),
        lots,
        40,
        today=TODAY,
        shortfall="debt",
        prefer=(LATER, FEB),
    )
    assert (posting.after.available, posting.after.pending, posting.after.debt) == (40, 0, 0)
    assert posting.points == -40


def test_clawback_beyond_available_becomes_debt():
    posting = debit(Account(available=5, version=1), [Lot(JAN, 5)], 12, today=TODAY, shortfall="debt")
    assert (posting.after.available, posting.after.debt, posting.points, posting.debt_incurred) == (
        0,
        7,
        -5,
        7,
    )


def test_lots_that_disagree_with_the_balance_are_refused():
    with pytest.raises(LedgerCorruptionError):
        debit(Account(available=10, version=1), [Lot(JAN, 9)], 1, today=TODAY)


def test_negative_amounts_are_programming_errors():
    with pytest.raises(ValueError, match="not negative"):
        credit(Account(), [], -1, None, today=TODAY)
    with pytest.raises(ValueError, match="not negative"):
        debit(Account(), [], -1, today=TODAY)


def test_pending_credit_keeps_its_own_lot_and_the_next_expiry_is_the_earliest_dated_one():
    posting = credit(
        Account(available=10, version=1), [Lot(FEB, 10)], 5, JAN, available_on=LATER, today=TODAY
    )
    assert posting.lots_after == (Lot(FEB, 10), Lot(JAN, 5, available_on=LATER))
    assert next_expiry(posting.lots_after) == JAN
    assert next_expiry([Lot(None, 3)]) is None


def test_expire_takes_what_is_left_of_lots_past_their_last_day_only():
    lots = [Lot(JAN, 7), Lot(FEB, 20), Lot(None, 3)]
    posting = expire(Account(available=30, version=4), lots, date(2027, 2, 1))
    assert posting is not None
    assert (posting.points, posting.after.available, posting.seq) == (-7, 23, 5)
    assert posting.lots_after == (Lot(FEB, 20), Lot(None, 3))


def test_a_lot_is_spendable_on_its_last_day_and_nothing_expires_twice():
    assert expire(Account(available=7, version=1), [Lot(JAN, 7)], JAN) is None
    after = expire(Account(available=7, version=1), [Lot(JAN, 7)], date(2027, 2, 1))
    assert after is not None
    assert expire(after.after, list(after.lots_after), date(2027, 2, 2)) is None


def test_a_credit_matures_due_pending_points_first_so_its_answer_agrees_with_a_read():
    lots = [Lot(FEB, 30, available_on=LATER)]
    posting = credit(Account(pending=30, version=2), lots, 10, FEB, today=LATER)
    assert (posting.after.available, posting.after.pending) == (40, 0)
    assert posting.lots_after == (Lot(FEB, 40),)
    assert posting.before == Account(pending=30, version=2)  # the condition is on what is stored


def test_a_frozen_account_withholds_a_credit_in_no_lot_and_settles_no_debt():
    frozen = Account(available=10, debt=4, version=2, status="frozen")
    posting = credit(frozen, [Lot(JAN, 10)], 25, FEB, today=TODAY)
    assert posting.after == Account(available=10, debt=4, version=3, withheld=25, status="frozen")
    assert (posting.points, posting.withheld, posting.lots_after) == (25, 25, (Lot(JAN, 10),))


def test_unfreezing_releases_withheld_points_into_a_lot_after_settling_debt():
    frozen = Account(available=10, debt=4, version=3, withheld=25, status="frozen")
    posting = change_status(frozen, [Lot(JAN, 10)], "active", today=TODAY, expires_on=FEB)
    assert posting.after == Account(available=31, version=4, status="active")
    assert (posting.points, posting.withheld, posting.debt_settled) == (-4, -25, 4)
    assert posting.lots_after == (Lot(JAN, 10), Lot(FEB, 21))


def test_unfreezing_without_release_forfeits_the_withheld_points():
    frozen = Account(available=10, version=3, withheld=25, status="frozen")
    posting = change_status(frozen, [Lot(JAN, 10)], "active", today=TODAY, release=False, expires_on=FEB)
    assert posting.after == Account(available=10, version=4, status="active")
    assert (posting.points, posting.withheld, posting.lots_after) == (-25, -25, (Lot(JAN, 10),))


def test_a_clawback_from_a_frozen_account_takes_withheld_points_first():
    frozen = Account(available=10, version=3, withheld=6, status="frozen")
    posting = debit(frozen, [Lot(JAN, 10)], 8, today=TODAY, shortfall="debt")
    assert posting.after == Account(available=8, version=4, withheld=0, status="frozen")
    assert (posting.points, posting.withheld) == (-8, -6)
