"""One chunk of clients: all their rows in the eight tables, plus their true logits.

A chunk depends only on its seed and size: every table draws from its own child of the
chunk's ``SeedSequence``, so the output does not depend on threads or on other chunks. Row
identifiers are local here (indices); :mod:`credit_scoring.demo.generator.runner` turns them
into Kaggle-like IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from credit_scoring.demo.generator.application import generate_clients
from credit_scoring.demo.generator.arrays import Columns, Floats
from credit_scoring.demo.generator.bureau import generate_bureau
from credit_scoring.demo.generator.cards import generate_cards
from credit_scoring.demo.generator.payments import PaymentHistory, generate_loan_payments
from credit_scoring.demo.generator.previous import generate_previous
from credit_scoring.demo.generator.truth import (
    HistoryRows,
    application_logit,
    client_aggregates,
    history_logit,
)

#: Streams of a chunk's SeedSequence children, in spawn order (never reorder: outputs change).
_STREAMS = ("application", "bureau", "previous", "payments", "cards", "target")


@dataclass(frozen=True)
class Chunk:
    """Generated rows of ``n_clients`` clients (local indices instead of IDs)."""

    n_clients: int
    application: Columns
    history: HistoryRows
    pos: PaymentHistory
    logit_application: Floats
    logit_history: Floats
    target_uniform: Floats  # TARGET = uniform < TRUE_PD, drawn here for determinism

    @property
    def logit(self) -> Floats:
        """The true logit without the intercept."""
        return self.logit_application + self.logit_history


def generate_chunk(seed: np.random.SeedSequence, n_clients: int) -> Chunk:
    """Every table's rows for ``n_clients`` new clients, drawn from ``seed``."""
    rngs = dict(
        zip(_STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(_STREAMS))), strict=True)
    )
    clients = generate_clients(rngs["application"], n_clients)
    bureau = generate_bureau(rngs["bureau"], clients)
    previous = generate_previous(rngs["previous"], clients)
    pos, loan_instalments = generate_loan_payments(rngs["payments"], clients, previous)
    card, card_instalments = generate_cards(rngs["cards"], clients, previous)
    installments = PaymentHistory.concat((loan_instalments, card_instalments))
    history = HistoryRows(bureau, previous, installments, card)
    aggregates = client_aggregates(history, n_clients)
    return Chunk(
        n_clients=n_clients,
        application=clients.columns,
        history=history,
        pos=pos,
        logit_application=application_logit(clients.columns),
        logit_history=history_logit(clients.columns, aggregates),
        target_uniform=rngs["target"].random(n_clients),
    )
