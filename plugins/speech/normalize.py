"""Text normalisation for speech: write out what a voice would otherwise misread.

``normalize(text)`` turns digits, symbols and abbreviations into the words a person would
say: "$9.99" -> "nine dollars and ninety-nine cents", "2024-03-01" -> "March first, twenty
twenty-four", "https://example.org/a" -> "example dot org slash a". The passes run in a
fixed order (web addresses before numbers, so their digits and dots are read as part of
the address), and each belongs to one category, so an engine that already reads some
things well asks only for the rest and nothing is normalised twice:

- hibari's own normaliser and lexicon read numbers, money, dates, times and units well
  but spell out URLs, e-mail addresses and "e.g." letter by letter: it takes
  :data:`HIBARI_CATEGORIES`.
- piper reads through espeak-ng, which reads "2024" as "two thousand twenty-four",
  "$9.99" as "dollar nine point nine nine" and "10 kg" as "ten K G": it takes them all.

American English readings ("one hundred twenty", not "one hundred and twenty"). A
change to a reading changes the speech: bump :data:`VERSION` (it keys the sentence
cache of narration and podcasts) and the ``version`` of the engines using it.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

#: the readings' version: bump it when any reading changes
VERSION = "1"

#: one normalisation pass: text in, text out
Pass = Callable[[str], str]

CATEGORIES = ("web", "abbreviations", "times", "dates", "currency", "percent", "units",
              "ordinals", "years", "numbers")
#: what hibari's own normaliser lacks
HIBARI_CATEGORIES = ("web", "abbreviations")


def normalize(text: str, categories: Iterable[str] = CATEGORIES) -> str:
    """``text`` with the given categories of tokens written out as words."""
    wanted = set(categories)
    unknown = wanted.difference(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown normalisation categories {sorted(unknown)}; "
                         f"known: {', '.join(CATEGORIES)}")
    for name in CATEGORIES:
        if name in wanted:
            text = _PASSES[name](text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# --------------------------------------------------------------------------- number words

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ("", " thousand", " million", " billion", " trillion", " quadrillion")
_IRREGULAR_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                       "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def cardinal(n: int) -> str:
    """12345 -> 'twelve thousand three hundred forty-five'."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {cardinal(rest)}" if rest else "")
    if n >= 1000 ** len(_SCALES):
        return digits(str(n))
    groups = []
    for scale in _SCALES:
        n, group = divmod(n, 1000)
        if group:
            groups.append(cardinal(group) + scale)
        if not n:
            break
    return " ".join(reversed(groups))


def ordinal(n: int) -> str:
    """23 -> 'twenty-third'."""
    words = cardinal(n)
    head, sep, last = words.rpartition(" ")
    prefix, hyphen, last = last.rpartition("-")
    if last in _IRREGULAR_ORDINALS:
        last = _IRREGULAR_ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + prefix + hyphen + last


def year(n: int) -> str:
    """1905 -> 'nineteen oh five', 2024 -> 'twenty twenty-four', 2005 -> 'two thousand five'."""
    century, rest = divmod(n, 100)
    if 2000 <= n < 2010 or century % 10 == 0 and rest == 0:
        return cardinal(n)
    if rest == 0:
        return f"{cardinal(century)} hundred"
    if rest < 10:
        return f"{cardinal(century)} oh {_ONES[rest]}"
    return f"{cardinal(century)} {cardinal(rest)}"


def digits(text: str) -> str:
    """'4567' -> 'four five six seven'."""
    return " ".join(_ONES[int(d)] for d in text if d.isdigit())


def number(text: str) -> str:
    """A written number ('1,250', '-3.14', '007') as words."""
    sign = "minus " if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").replace(",", "").partition(".")
    if len(whole) > 1 and whole.startswith("0"):
        words = digits(whole)
    else:
        words = cardinal(int(whole or 0))
    if fraction:
        words += " point " + digits(fraction)
    return sign + words


def _plural(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties' (for decades)."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    return words + ("es" if words.endswith("x") else "s")


def _is_one(text: str) -> bool:
    return text.replace(",", "").lstrip("-") in ("1", "1.0")


# --------------------------------------------------------------------------- helpers

#: a written number: 1,250,000 or 3.14 or 42 (no sign)
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: a number or a range of numbers: "10", "10-20", "10 – 20"
_RANGE = rf"(-?(?:{NUM}))(?:\s?[-–]\s?({NUM}))?"


def _read_range(first: str, second: str | None, read: Callable[[str], str] = number) -> str:
    return read(first) + (f" to {read(second)}" if second else "")


def _keep_stop(m: re.Match) -> str:
    """'.' when a matched abbreviation ended with a period that also ends the sentence."""
    after = m.string[m.end():]
    if m.group(0).endswith(".") and (not after.strip() or re.match(r"\s+[A-Z]", after)):
        return "."
    return ""


def _sub(pattern: str, flags: int = 0) -> Callable[[Callable[[re.Match], str]], Pass]:
    """Decorator: turn a match -> words function into a text -> text pass."""
    regex = re.compile(pattern, flags)

    def wrap(replace: Callable[[re.Match], str]) -> Pass:
        return lambda text: regex.sub(replace, text)
    return wrap


def _chain(*passes: Pass) -> Pass:
    def run(text: str) -> str:
        for step in passes:
            text = step(text)
        return text
    return run


# --------------------------------------------------------------------------- web

_SAY_SEPARATOR = {".": " dot ", "/": " slash ", "-": " dash ", "_": " underscore ",
                  "@": " at ", "+": " plus ", "~": " tilde ", "=": " equals ", ":": " colon "}
_TRAILING = ".,;:!?)]}'\"”’"
_TLDS = "com|org|net|io|dev|ai|app|edu|gov|co|uk|de|fr|eu|info|me|tv|us|ca|au"


def say_address(address: str) -> str:
    """'https://www.example.org/a-b?x=1' -> 'example dot org slash a dash b'.

    The scheme, "www.", query string, fragment and trailing slash are left unsaid, as
    people do when reading an address aloud.
    """
    address = re.sub(r"^[a-z][a-z0-9+.-]*://", "", address, flags=re.I)
    address = re.sub(r"^www\.", "", address, flags=re.I)
    address = re.split(r"[?#]", address, maxsplit=1)[0].rstrip("/")
    spoken = "".join(_SAY_SEPARATOR.get(c, c) for c in address)
    return " ".join(spoken.split())


def _address_pass(pattern: str, flags: int = 0) -> Pass:
    """Speak every address the pattern finds, leaving sentence punctuation after it."""
    @_sub(pattern, flags)
    def replace(m: re.Match) -> str:
        found = m.group(0)
        address = found.rstrip(_TRAILING)
        return say_address(address) + found[len(address):]
    return replace


_web = _chain(
    _address_pass(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    _address_pass(r"\b(?:https?://|www\.)[^\s<>\"]+", re.I),
    _address_pass(rf"\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"]*)?"),
)


# --------------------------------------------------------------------------- abbreviations

ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "vs": "versus", "cf.": "compare", "et al.": "et al", "a.k.a.": "also known as",
    "approx.": "approximately", "ca.": "circa", "Mr.": "Mister", "Mrs.": "Missus",
    "Ms.": "Miz", "Dr.": "Doctor", "Prof.": "Professor", "Jr.": "Junior", "Sr.": "Senior",
    "Mt.": "Mount", "Inc.": "Incorporated", "Ltd.": "Limited", "Corp.": "Corporation",
    "Dept.": "Department", "Fig.": "Figure", "fig.": "figure", "Ave.": "Avenue",
}
#: abbreviations that may end a sentence: their period stays when a sentence follows
_CAN_END = frozenset({"etc.", "et al.", "Inc.", "Ltd.", "Corp.", "Jr.", "Sr.", "Dept.", "Ave."})
_ABBREV_ALT = "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))


@_sub(rf"(?<![\w.])({_ABBREV_ALT})(?![\w])")
def _abbreviation(m: re.Match) -> str:
    found = m.group(1)
    return ABBREVIATIONS[found] + (_keep_stop(m) if found in _CAN_END else "")


@_sub(r"\bSt\.(?=(\s+[A-Z])?)")
def _saint_or_street(m: re.Match) -> str:
    """'St. Paul' -> 'Saint Paul'; 'Main St.' -> 'Main Street'."""
    return "Saint" if m.group(1) else "Street" + _keep_stop(m)


@_sub(r"\b(?:[A-Z]\.){2,}")
def _initialism(m: re.Match) -> str:
    """'U.S.' -> 'U.S': both engines spell it out, and the final dot no longer reads as
    the end of a sentence (a pause) before "U.S. Army"."""
    at_end = not m.string[m.end():].strip()
    return m.group(0)[:-1] + ("." if at_end else "")


_abbreviations = _chain(
    _abbreviation,
    _saint_or_street,
    lambda text: re.sub(r"\bNo\.\s?(?=\d)", "number ", text),
    _initialism,
)


# --------------------------------------------------------------------------- times

def _clock(hour: int, minute: int) -> str:
    if minute == 0:
        return cardinal(hour)
    return f"{cardinal(hour)} {'oh ' if minute < 10 else ''}{cardinal(minute)}"


@_sub(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s?([AaPp])\.?\s?[Mm]\b\.?)?(?!\d)")
def _time(m: re.Match) -> str:
    hour, minute, second, half = m.groups()
    if int(hour) > 24 or int(minute) > 59 or (second and int(second) > 59):
        return m.group(0)
    words = _clock(int(hour), int(minute))
    if second:
        words += f" and {cardinal(int(second))} second{'' if second == '01' else 's'}"
    if half:
        return f"{words} {half.upper()}M{_keep_stop(m)}"
    return words + (" o'clock" if minute == "00" and not second else "")


@_sub(r"\b(\d{1,2})\s?([AaPp])\.?\s?[Mm]\b\.?")
def _hour(m: re.Match) -> str:
    """'5pm', '5 p.m.' -> 'five PM' ("p m" would read "p" as a sound, not a letter)."""
    if int(m.group(1)) > 12:
        return m.group(0)
    return f"{cardinal(int(m.group(1)))} {m.group(2).upper()}M{_keep_stop(m)}"


_times = _chain(_time, _hour)


# --------------------------------------------------------------------------- dates

MONTHS = ("January February March April May June July August September October November "
          "December").split()
_MONTH = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|" \
         r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"


def _month(name: str) -> str:
    return next(m for m in MONTHS if m.startswith(name[:3]))


def _date(year_text: str | None, month: int, day: int) -> str | None:
    """'March first, twenty twenty-four'; None for an impossible date."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    words = f"{MONTHS[month - 1]} {ordinal(day)}"
    return words + (f", {year(int(year_text))}" if year_text else "")


@_sub(r"\b(\d{4})-(\d{2})-(\d{2})\b")
def _iso_date(m: re.Match) -> str:
    return _date(m.group(1), int(m.group(2)), int(m.group(3))) or m.group(0)


@_sub(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
def _numeric_date(m: re.Match) -> str:
    """Month first (American), unless the first number cannot be a month."""
    first, second = int(m.group(1)), int(m.group(2))
    month, day = (first, second) if first <= 12 else (second, first)
    return _date(m.group(3), month, day) or m.group(0)


@_sub(rf"\b{_MONTH}\.?\s(\d{{1,2}})(?:st|nd|rd|th)?\b(?![:\d])(?:,?\s(\d{{4}})\b)?")
def _month_day(m: re.Match) -> str:
    month = MONTHS.index(_month(m.group(1))) + 1
    return _date(m.group(3), month, int(m.group(2))) or m.group(0)


@_sub(rf"\b(?:([Tt]he)\s)?(\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH}\b"
      r"(?:\.(?=\s\d))?(?:,?\s(\d{4})\b)?")
def _day_month(m: re.Match) -> str:
    """'3 March 2024', 'the 3rd of March' -> 'the third of March[, twenty twenty-four]'."""
    article, day, month, year_text = m.groups()
    if not 1 <= int(day) <= 31:
        return m.group(0)
    words = f"{article or 'the'} {ordinal(int(day))} of {_month(month)}"
    return words + (f", {year(int(year_text))}" if year_text else "")


_dates = _chain(_iso_date, _numeric_date, _month_day, _day_month)


# --------------------------------------------------------------------------- money, percent

#: symbol -> (unit, units, subunit, subunits)
CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"),
              "€": ("euro", "euros", "cent", "cents"),
              "£": ("pound", "pounds", "penny", "pence"),
              "¥": ("yen", "yen", "sen", "sen")}
_MAGNITUDES = {"k": "thousand", "m": "million", "mn": "million", "b": "billion",
               "bn": "billion", "tn": "trillion"}


@_sub(r"(?<![\w$€£¥])([$€£¥])\s?(" + NUM + r")"
      r"(?:\s?(thousand|million|billion|trillion|[kK]|[mM]n?|[bB]n?|tn)\b)?")
def _money(m: re.Match) -> str:
    """'$9.99' -> 'nine dollars and ninety-nine cents'; '$1.5bn' -> 'one point five
    billion dollars'."""
    one, many, sub_one, sub_many = CURRENCIES[m.group(1)]
    amount, magnitude = m.group(2), m.group(3)
    if magnitude:
        scale = _MAGNITUDES.get(magnitude.lower(), magnitude)
        return f"{number(amount)} {scale} {many}"
    whole, _, cents = amount.replace(",", "").partition(".")
    if cents and len(cents) != 2:
        return f"{number(amount)} {many}"
    parts = []
    if int(whole) or not int(cents or 0):
        parts.append(f"{cardinal(int(whole))} {one if int(whole) == 1 else many}")
    if int(cents or 0):
        parts.append(f"{cardinal(int(cents))} {sub_one if int(cents) == 1 else sub_many}")
    return " and ".join(parts)


@_sub(rf"(?<![\w.]){_RANGE}\s?%")
def _percent(m: re.Match) -> str:
    return _read_range(m.group(1), m.group(2)) + " percent"


# --------------------------------------------------------------------------- units

#: unit -> (singular, plural); only units that cannot be mistaken for words
UNITS = {
    "km": ("kilometer", "kilometers"), "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "nm": ("nanometer", "nanometers"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "yd": ("yard", "yards"), "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"), "l": ("liter", "liters"), "L": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "°": ("degree", "degrees"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"), "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"),
    "secs": ("second", "seconds"), "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "mAh": ("milliamp hour", "milliamp hours"), "x": ("times", "times"),
}
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))


@_sub(rf"(?<![\w.]){_RANGE}\s?({_UNIT_ALT})(?![\w/°])")
def _unit(m: re.Match) -> str:
    first, second, unit = m.groups()
    singular, plural = UNITS[unit]
    amount = _read_range(first, second)
    return f"{amount} {singular if _is_one(first) and not second else plural}"


# --------------------------------------------------------------------------- ordinals, years

@_sub(r"\b(\d+)(?:st|nd|rd|th)\b")
def _ordinal(m: re.Match) -> str:
    return ordinal(int(m.group(1)))


_YEAR = r"1\d{3}|20\d\d"


@_sub(rf"(?<![\w$€£¥.,'-])({_YEAR})(?:\s?[-–]\s?({_YEAR}|\d\d))?\b(?![.,]\d|\s?%|[-–/]\d)")
def _year(m: re.Match) -> str:
    """Four-digit numbers from 1000 to 2099 read as years: '1990-95' -> 'nineteen ninety
    to ninety-five'. ("1500 people" -> "fifteen hundred people", which is how people say
    it; a number with a comma, "1,500", stays a plain number.)"""
    first, second = m.groups()
    if second and len(second) == 2:
        return f"{year(int(first))} to {cardinal(int(second))}"
    return _read_range(first, second, lambda y: year(int(y)))


@_sub(r"(?<![\w.,])(?:(1\d{2}0|20\d0)|'(\d0))s\b")
def _decade(m: re.Match) -> str:
    """'1990s' -> 'nineteen nineties'; ''90s' -> 'nineties'."""
    if m.group(1):
        return _plural(year(int(m.group(1))))
    return _plural(cardinal(int(m.group(2))))


_years = _chain(_decade, _year)


# --------------------------------------------------------------------------- numbers

_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


@_sub(r"(?<![\w/])(\d{1,2})/(\d{1,2})(?![\w/])")
def _fraction(m: re.Match) -> str:
    top, bottom = int(m.group(1)), int(m.group(2))
    if not 0 < top < bottom <= 16:
        return f"{top} slash {bottom}"
    one, many = _FRACTION_NAMES.get(bottom, (ordinal(bottom), ordinal(bottom) + "s"))
    return f"{cardinal(top)} {one if top == 1 else many}"


@_sub(r"(?<![\w-])(?:\(?(\d{3})\)?[\s-])?(\d{3})-(\d{4})(?![\w-])")
def _phone(m: re.Match) -> str:
    return ", ".join(digits(g) for g in m.groups() if g)


_numbers = _chain(
    _fraction,
    _phone,
    lambda text: re.sub(r"\b\d+(?:\.\d+){2,}\b",
                        lambda m: " point ".join(number(p) for p in m.group(0).split(".")), text),
    lambda text: re.sub(rf"(?<![\w.,]){_RANGE}(?![\w]|[.,]\d)",
                        lambda m: _read_range(m.group(1), m.group(2)), text),
)


_PASSES: dict[str, Pass] = {
    "web": _web, "abbreviations": _abbreviations, "times": _times, "dates": _dates,
    "currency": _money, "percent": _percent, "units": _unit, "ordinals": _ordinal,
    "years": _years, "numbers": _numbers,
}


# --------------------------------------------------------------------------- other languages

#: languages read with num2words instead of the English rules above (BCP 47 primary tags)
NUM2WORDS_LANGUAGES = {"pt": "pt", "es": "es"}
_CURRENCY_CODES = {"R$": "BRL", "US$": "USD", "$": "USD", "€": "EUR", "£": "GBP"}
_PERCENT_WORDS = {"pt": "por cento", "es": "por ciento"}
#: 1.234.567,89: dots group thousands and a comma marks decimals in Portuguese and Spanish
_LOCAL_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"


def normalize_for(text: str, language: str | None) -> str:
    """``text`` as a voice speaking ``language`` should read it: English through
    :func:`normalize`; Portuguese and Spanish with num2words (money with its currency,
    percentages, ordinals such as 1º and 2ª, numbers written 1.234,5); other languages
    unchanged (their engines read digits themselves)."""
    code = (language or "en").split("-")[0].lower()
    if code == "en":
        return normalize(text)
    if code not in NUM2WORDS_LANGUAGES:
        return text
    return _read_numbers(text, code, (language or "").upper().endswith("-BR"))


def _local_value(number: str) -> float:
    return float(number.replace(".", "").replace(",", "."))


def _words(value: float, lang: str, **kwargs) -> str:
    from num2words import num2words

    return num2words(int(value) if value == int(value) and not kwargs else value,
                     lang=lang, **kwargs)


def _read_numbers(text: str, code: str, brazil: bool) -> str:
    lang = NUM2WORDS_LANGUAGES[code]
    symbols = "|".join(re.escape(s) for s in sorted(_CURRENCY_CODES, key=len, reverse=True))

    def money(m: re.Match) -> str:
        symbol, amount = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        code_ = _CURRENCY_CODES[symbol]
        if brazil and code_ == "BRL":
            return _words(_local_value(amount), "pt_BR", to="currency")
        spoken = _words(float(_local_value(amount)), lang, to="currency", currency=code_)
        spoken = re.sub(r",?\s+\w+\s+(?:cero|zero)\s+c\w+ntimos$", "", spoken)
        return spoken.replace("cêntimos", "centavos") if brazil else spoken

    def ordinal(m: re.Match) -> str:
        spoken = _words(int(m.group(1)), lang, to="ordinal")
        if m.group(2) in "ªa":  # feminine: primeira, segunda; primera, segunda
            spoken = re.sub(r"o\b", "a", spoken)
        return spoken

    def percent(m: re.Match) -> str:
        return f"{_words(_local_value(m.group(1)), lang)} {_PERCENT_WORDS[code]}"

    text = re.sub(rf"(?:({symbols})\s?({_LOCAL_NUM})|({_LOCAL_NUM})\s?(€|£))", money, text)
    text = re.sub(r"\b(\d+)\.?([ºª°])", ordinal, text)
    text = re.sub(rf"({_LOCAL_NUM})\s?%", percent, text)
    text = re.sub(rf"\b({_LOCAL_NUM})\b", lambda m: _words(_local_value(m.group(1)), lang), text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()
