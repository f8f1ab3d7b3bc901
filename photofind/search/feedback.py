"""Learning from the user's picks: Rocchio on the query vector, then a linear classifier.

Both give one direction in the embedding space, so the vector index ranks the whole library
with it exactly as it ranks a text query: for unit photo vectors x, sorting by w . x + b is
sorting by unit(w) . x. Nothing here touches the catalog or a model; it is numpy on vectors.
"""

from __future__ import annotations

import numpy as np

from photofind.clip.vectormath import unit

# Rocchio (1971), with the weights the IR textbooks settle on (Manning et al., ch. 9): keep
# the query, move 0.75 of the way toward the mean liked photo and 0.25 away from the mean
# rejected one. Fewer marks than CLASSIFIER_MIN on either side use it.
ALPHA, BETA, GAMMA = 1.0, 0.75, 0.25
# With this many marks on each side a classifier has something to separate. Three is the
# smallest number for which it beat Rocchio on bench/feedback.py with the tiny model.
CLASSIFIER_MIN = 3
# L2 pull of the classifier's weights toward the Rocchio direction: few marks keep it near
# what the user asked for; many marks outweigh it. The photo scores it separates are cosines
# (a spread of about 0.1-0.3), so the weights need room: the scale below.
PRIOR_STRENGTH = 0.05
LOGIT_SCALE = 20.0
STEPS = 300
LEARNING_RATE = 0.5


def _unit(vector: np.ndarray) -> np.ndarray:
    return unit(vector, dtype=np.float64)


def rocchio(query: np.ndarray | None, liked: np.ndarray, unliked: np.ndarray) -> np.ndarray:
    """unit(ALPHA q + BETA mean(liked) - GAMMA mean(unliked)); without a query, liked alone
    start it (a search made only of marks, as "more like these")."""
    dim = liked.shape[1] if liked.size else unliked.shape[1]
    vector = np.zeros(dim, dtype=np.float64) if query is None else ALPHA * _unit(query)
    if liked.size:
        vector = vector + BETA * _unit(liked.mean(axis=0))
    if unliked.size:
        vector = vector - GAMMA * _unit(unliked.mean(axis=0))
    return _unit(vector).astype(np.float32)


def train_direction(liked: np.ndarray, unliked: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """A logistic-regression direction separating liked from unliked photo vectors.

    Full-batch gradient descent on the mean log-loss of sigmoid(LOGIT_SCALE * (w . x + b))
    plus PRIOR_STRENGTH * |w - prior|^2, from w = prior. Classes are weighted equally (5 likes
    and 2 rejections count the same). A few hundred steps on a handful of vectors take well
    under a millisecond per step; no library is needed for a problem this small.
    """
    x = np.concatenate([liked, unliked]).astype(np.float64)
    y = np.concatenate([np.ones(len(liked)), np.zeros(len(unliked))])
    weight = np.where(y == 1, 0.5 / len(liked), 0.5 / len(unliked))
    prior = _unit(prior.astype(np.float64))
    w = prior.copy()
    b = -float(np.mean(x @ w))  # start with the boundary between the classes' scores
    for _ in range(STEPS):
        z = LOGIT_SCALE * (x @ w + b)
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        g = weight * (p - y) * LOGIT_SCALE
        w -= LEARNING_RATE * (x.T @ g + 2 * PRIOR_STRENGTH * (w - prior))
        b -= LEARNING_RATE * float(g.sum())
    return _unit(w).astype(np.float32)


def feedback_vector(query: np.ndarray | None, liked: np.ndarray, unliked: np.ndarray) -> np.ndarray:
    """The query after the user's marks: Rocchio at once; with CLASSIFIER_MIN marks on each
    side, the classifier trained from the Rocchio direction takes over."""
    moved = rocchio(query, liked, unliked)
    if len(liked) >= CLASSIFIER_MIN and len(unliked) >= CLASSIFIER_MIN:
        return train_direction(liked, unliked, moved)
    return moved
