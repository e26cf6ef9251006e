"""Train the toxicity model's category heads offline, calibrate their sensitivity levels on
ordinary chat, and print the dev figures.

    .venv/bin/pip install scikit-learn   # training only, never at run time
    .venv/bin/python scripts/train_toxicity.py [../shared/data]

Writes cmbot/data/toxicity_model.npz: one logistic-regression head per category over the
plugin's hashed n-gram features (float16), and per language the score thresholds of the
four sensitivity levels. Seeded: the same data gives the same file.

**Trained on** (``toxicity-train/``, licences that allow shipping weights; attribution in
cmbot/data/NOTICE.md): hatexplain, civil_comments_toxic_spans, convabuse, mlma_english,
mlma_french, hatemoji, toxigen_annotated, toxigen_seeds, measuring_hate_speech_subset,
edos_sexism, ftr_french_racism_tweets, diasafety_chat (its negatives only: its positives
were judged in a conversation's context), and as benign negatives the lines of the CC0
game chat (``unlabelled/alterware_game_chat_cc0``) that hold no word of the lexicons below.
**Not trained on**: the share-alike sets (jigsaw2018_subset, stormfront_hate,
wiki_toxicity_identity_testset), the test suites (mhc_french, openai_moderation_eval,
rtp_lx_*), every ``toxicity/*/dev.csv`` and the Twitch chat sample: those measure.

**Categories from binary labels.** The sets say toxic or not; a positive is given the
categories its text shows: ``self_harm`` and ``threat`` by patterns ("kys", "I will kill
you"), ``sexual`` by a sexual lexicon (and EDOS's sexist posts that use it), ``hate``
when the set's label is hate-scoped (MHS, ToxiGen, Hatemoji, FTR, EDOS) or the text names
an identity group or a slur, ``insult`` when it targets someone (second person, a
mention, an insult word). A head learns from its category's positives against the
general negatives; other positives are left out of it (a hateful line is not a
counter-example of an insult). Scoped sets' negatives ("not sexist") are left out
entirely. ``profanity`` is lexical: any line with a swear word, positive or not.

**Levels** are calibrated on ordinary chat, never on the dev sets: on the calibration half
(by a stable hash) of the Twitch chat sample plus the CC0 game chat, level L's threshold
is the score that this share of lines reaches: low 0.3 %, medium 1 %, high 2 %,
strict 4 %. Profanity, which ordinary chat is full of, has plain score thresholds instead
(0.9, 0.75, 0.6, 0.5). French: the English thresholds (see main(): the French sets'
negatives are hard cases, not ordinary chat).
"""

from __future__ import annotations

import csv
import random
import re
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugins.toxicity.features import DIMENSIONS, features  # noqa: E402
from plugins.toxicity.normalize import for_matching  # noqa: E402
from plugins.toxicity.scorer import CATEGORIES  # noqa: E402

OUT = ROOT / "cmbot" / "data" / "toxicity_model.npz"
GENERAL = ("hatexplain", "civil_comments_toxic_spans", "convabuse", "mlma_english",
           "mlma_french")
HATE_SCOPED = ("hatemoji", "toxigen_annotated", "toxigen_seeds",
               "measuring_hate_speech_subset", "edos_sexism", "ftr_french_racism_tweets")
NEGATIVES_ONLY = ("diasafety_chat",)
SHARES = (0.003, 0.01, 0.02, 0.04)  # of ordinary chat flagged at levels 1-4
PROFANITY_LEVELS = (0.9, 0.75, 0.6, 0.5)
FRENCH_BENIGN = ("mlma_french", "ftr_french_racism_tweets")
SEED = 13

SELF_HARM = re.compile(
    r"\b(kys|kill (yo)?ur ?self|kill yourselves|go die|hope (you|u) die|neck (yo)?ur ?self|"
    r"drink bleach|end (yo)?ur ?(self|life)|tue toi|va te tuer|va crever|suicide toi|"
    r"creve)\b")
THREAT = re.compile(
    r"\b(i ?will|i ?ll|im gonna|im going to|ima|we will|gonna|going to|i ?m going to|"
    r"je vais|on va) (kill|shoot|stab|murder|beat|hurt|find|rape|destroy|hang|burn|te tuer|"
    r"te buter|te retrouver|te frapper|te defoncer)\b|\b(you|u) (are|r|re) (dead|going to "
    r"die)\b|\b(shoot|stab|hang|lynch|gas) (them|him|her|you|u|all)\b")
SEXUAL = re.compile(
    r"\b(dick|cock|pussy|tits|titties|boobs|nudes|rape|raped|slut|whore|cum|blowjob|"
    r"suck my|horny|porn|sexy|bite|chatte|nichons|sucer|suce|baiser|salope|pute)\b")
IDENTITY = re.compile(
    r"\b(black|blacks|white|whites|jew|jews|jewish|muslim|muslims|islam|gay|gays|lesbian|"
    r"trans|transgender|immigrant|immigrants|mexican|mexicans|asian|asians|arab|arabs|"
    r"women|woman|girls|feminist|feminists|disabled|retard|retards|nigger|niggers|nigga|"
    r"faggot|faggots|fag|tranny|kike|spic|chink|negre|negres|juif|juifs|musulman|"
    r"musulmans|arabe|arabes|pede|pedes|migrants|noirs|femmes|bougnoule|youpin)\b")
TARGET = re.compile(
    r"\b(you|u|ur|your|youre|yourself|ya|yall|tu|toi|ton|ta|tes|te|t)\b|@\w|"
    r"\b(idiot|moron|stupid|loser|trash|bitch|cunt|dumb|dumbass|ugly|pathetic|worthless|"
    r"clown|noob|retarded|imbecile|scum|bastard|connard|connasse|con|abruti|debile|"
    r"cretin|enfoire|batard|encule)\b")
SWEAR = re.compile(
    r"\b(fuck\w*|f u c k|shit\w*|bullshit|damn\w*|crap|wtf|ass|asshole|bitch\w*|hell|"
    r"piss\w*|bastard|dick|putain|merde|bordel|chier|fais chier|ptn|fdp|nique\w*)\b")


def load(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(r["text"], int(float(r["label"]))) for r in csv.DictReader(handle)
                if r.get("text")]


def texts_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [r["text"] for r in csv.DictReader(handle) if r.get("text")]


def categories_of(normalised: str, hate_scoped: bool) -> set[str]:
    found = set()
    if SELF_HARM.search(normalised):
        found.add("self_harm")
    if THREAT.search(normalised):
        found.add("threat")
    if SEXUAL.search(normalised):
        found.add("sexual")
    if hate_scoped or IDENTITY.search(normalised):
        found.add("hate")
    if TARGET.search(normalised):
        found.add("insult")
    return found


def matrix(texts: list[str]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        for j, v in features(text).items():
            rows.append(i)
            cols.append(j)
            vals.append(v)
    return csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                      shape=(len(texts), DIMENSIONS))


def half(text: str) -> int:
    return zlib.crc32(text.encode()) % 2


def build(data: Path) -> tuple[list[str], dict[str, list[int]]]:
    """Normalised texts and, per category, each text's label (1, 0, or -1: left out)."""
    train = data / "toxicity-train"
    texts: list[str] = []
    labels: dict[str, list[int]] = {c: [] for c in CATEGORIES}

    def add(text: str, cats: set[str] | None) -> None:
        """cats None: a general negative; else the categories of a positive."""
        normalised = for_matching(text)
        if not normalised:
            return
        texts.append(normalised)
        swear = 1 if SWEAR.search(normalised) else 0
        for c in CATEGORIES:
            if c == "profanity":
                labels[c].append(swear)
            elif cats is None:
                labels[c].append(0)
            else:
                labels[c].append(1 if c in cats else -1)

    for name in GENERAL:
        for text, label in load(train / name / "data.csv"):
            add(text, categories_of(for_matching(text), False) if label else None)
    for name in HATE_SCOPED:
        for text, label in load(train / name / "data.csv"):
            if label:
                cats = categories_of(for_matching(text), True)
                if name == "edos_sexism" and "sexual" not in cats:
                    cats.add("hate")
                add(text, cats)
            elif name.startswith("toxigen"):  # benign statements about groups
                add(text, None)
    for name in NEGATIVES_ONLY:
        for text, label in load(train / name / "data.csv"):
            if not label:
                add(text, None)
    game = train / "unlabelled" / "alterware_game_chat_cc0" / "data.csv"
    for text in texts_of(game):
        n = for_matching(text)
        if half(n) == 0 and not (SWEAR.search(n) or TARGET.search(n) or IDENTITY.search(n)
                                 or SEXUAL.search(n)):
            add(text, None)
    return texts, labels


def calibration_lines(data: Path) -> tuple[list[str], list[str], list[str]]:
    """Ordinary chat: the calibration half, the report half; French benign lines."""
    chat = [for_matching(t) for t in texts_of(data / "chat" / "twitch_2025_dev.csv")]
    game = [for_matching(t) for t in
            texts_of(data / "toxicity-train" / "unlabelled" / "alterware_game_chat_cc0" /
                     "data.csv")]
    chat = [t for t in dict.fromkeys(chat) if t]
    calibrate = [t for t in chat if half(t) == 0] + [t for t in game if half(t) == 1]
    report = [t for t in chat if half(t) == 1]
    french = [for_matching(t) for name in FRENCH_BENIGN
              for t, y in load(data / "toxicity-train" / name / "data.csv") if y == 0]
    return calibrate, report, [t for t in french if t]


def thresholds(scores: np.ndarray) -> list[float]:
    """Per level, the score reached by its share of ordinary lines (scores: n lines)."""
    ordered = np.sort(scores)[::-1]
    return [float(ordered[min(len(ordered) - 1, max(0, int(share * len(ordered)) - 1))])
            + 1e-6 for share in SHARES]


def main(data: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    random.seed(SEED)
    texts, labels = build(data)
    x = matrix(texts)
    weights, biases = [], []
    for category in CATEGORIES:
        y = np.array(labels[category])
        keep = y >= 0
        model = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced",
                                   random_state=SEED)
        model.fit(x[keep], y[keep])
        weights.append(model.coef_[0].astype(np.float32))
        biases.append(float(model.intercept_[0]))
        print(f"{category:10s} positives={int((y == 1).sum()):6d} "
              f"negatives={int((y == 0).sum()):6d}")
    w = np.vstack(weights)
    b = np.array(biases, dtype=np.float32)

    def score(lines: list[str]) -> np.ndarray:
        z = matrix(lines) @ w.T + b
        return 1.0 / (1.0 + np.exp(-z))

    calibrate, report, french = calibration_lines(data)
    table_en = np.array([thresholds(column) for column in score(calibrate).T],
                        dtype=np.float32)
    # Swearing is ordinary in chat (several % of lines), so no share of ordinary chat can
    # set its levels: they are plain score thresholds.
    table_en[CATEGORIES.index("profanity")] = PROFANITY_LEVELS
    # No French ordinary chat is licensed here: the French sets' negatives are keyword-
    # sampled hard cases, and thresholds calibrated on them (printed below) miss more
    # French hate than the English ones do on Multilingual HateCheck. French communities
    # use the English thresholds until French chat can calibrate them.
    table_fr = table_en.copy()
    hard = np.array([thresholds(column) for column in score(french).T], dtype=np.float32)
    print("thresholds calibrated on French hard negatives (not shipped): " + "; ".join(
        f"{c} " + "/".join(f"{t:.2f}" for t in row) for c, row in zip(CATEGORIES, hard,
                                                                      strict=True)))
    np.savez_compressed(OUT, categories=np.array(CATEGORIES), w=w.astype(np.float16), b=b,
                        thresholds_en=table_en, thresholds_fr=table_fr)
    print(f"trained on {len(texts)} texts; wrote {OUT} ({OUT.stat().st_size // 1024} KB)")
    for name, table in (("en", table_en), ("fr", table_fr)):
        print(f"thresholds {name}: " + "; ".join(
            f"{c} " + "/".join(f"{t:.2f}" for t in row) for c, row in zip(CATEGORIES, table,
                                                                          strict=True)))
    flagged = score(report)[:, :5] >= table_en[:5, 1]
    print(f"report half of Twitch chat ({len(report)} lines), model at medium, "
          f"profanity off: {flagged.any(axis=1).mean():.2%} flagged")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"))
