"""The eight Home Credit tables, column by column, in file order.

Kinds follow the Kaggle files: ``I`` never missing (int64), ``F`` may be missing (float64),
``C`` text with a vocabulary. Vocabularies are those of the full Kaggle data; a value outside
them is kept and reported as a warning (the API scores it as an unseen category).
"""

from __future__ import annotations

from credit_scoring.schema.model import Column, ForeignKey, Kind, Table

SCHEMA_VERSION = "1.0"
#: "Not applicable" day offset used by the Kaggle data (e.g. DAYS_EMPLOYED of pensioners).
DAYS_SENTINEL = 365243

_KINDS = {"I": Kind.INT, "F": Kind.FLOAT, "C": Kind.CATEGORY}

_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_YN = ("Y", "N")
_SUITES = (
    "Unaccompanied", "Family", "Spouse, partner", "Children", "Other_A", "Other_B",
    "Group of people",
)  # fmt: skip

# fmt: off
VOCABULARIES: dict[str, tuple[str, ...]] = {
    # application
    "NAME_CONTRACT_TYPE": ("Cash loans", "Revolving loans"),
    "CODE_GENDER": ("F", "M", "XNA"),
    "FLAG_OWN_CAR": _YN,
    "FLAG_OWN_REALTY": _YN,
    "NAME_TYPE_SUITE": _SUITES,
    "NAME_INCOME_TYPE": (
        "Working", "Commercial associate", "Pensioner", "State servant", "Unemployed",
        "Student", "Businessman", "Maternity leave",
    ),
    "NAME_EDUCATION_TYPE": (
        "Secondary / secondary special", "Higher education", "Incomplete higher",
        "Lower secondary", "Academic degree",
    ),
    "NAME_FAMILY_STATUS": (
        "Married", "Single / not married", "Civil marriage", "Separated", "Widow", "Unknown",
    ),
    "NAME_HOUSING_TYPE": (
        "House / apartment", "With parents", "Municipal apartment", "Rented apartment",
        "Office apartment", "Co-op apartment",
    ),
    "OCCUPATION_TYPE": (
        "Laborers", "Sales staff", "Core staff", "Managers", "Drivers", "High skill tech staff",
        "Accountants", "Medicine staff", "Security staff", "Cooking staff", "Cleaning staff",
        "Private service staff", "Low-skill Laborers", "Waiters/barmen staff", "Secretaries",
        "Realty agents", "HR staff", "IT staff",
    ),
    "WEEKDAY_APPR_PROCESS_START": _WEEKDAYS,
    "ORGANIZATION_TYPE": (
        "Business Entity Type 3", "XNA", "Self-employed", "Other", "Medicine",
        "Business Entity Type 2", "Government", "School", "Trade: type 7", "Kindergarten",
        "Construction", "Business Entity Type 1", "Transport: type 4", "Trade: type 3",
        "Industry: type 9", "Industry: type 3", "Security", "Housing", "Industry: type 11",
        "Military", "Bank", "Agriculture", "Police", "Transport: type 2", "Postal",
        "Security Ministries", "Trade: type 2", "Restaurant", "Services", "University",
        "Industry: type 7", "Transport: type 3", "Industry: type 1", "Hotel", "Electricity",
        "Industry: type 4", "Trade: type 6", "Industry: type 5", "Insurance", "Telecom",
        "Emergency", "Industry: type 2", "Advertising", "Realtor", "Culture",
        "Industry: type 12", "Trade: type 1", "Mobile", "Legal Services", "Cleaning",
        "Transport: type 1", "Industry: type 6", "Industry: type 10", "Religion",
        "Industry: type 13", "Trade: type 4", "Trade: type 5", "Industry: type 8",
    ),
    "FONDKAPREMONT_MODE": (
        "reg oper account", "reg oper spec account", "not specified", "org spec account",
    ),
    "HOUSETYPE_MODE": ("block of flats", "specific housing", "terraced house"),
    "WALLSMATERIAL_MODE": (
        "Panel", "Stone, brick", "Block", "Wooden", "Mixed", "Monolithic", "Others",
    ),
    "EMERGENCYSTATE_MODE": ("No", "Yes"),
    # bureau
    "CREDIT_ACTIVE": ("Closed", "Active", "Sold", "Bad debt"),
    "CREDIT_CURRENCY": ("currency 1", "currency 2", "currency 3", "currency 4"),
    "CREDIT_TYPE": (
        "Consumer credit", "Credit card", "Car loan", "Mortgage", "Microloan",
        "Loan for business development", "Another type of loan", "Unknown type of loan",
        "Loan for working capital replenishment", "Cash loan (non-earmarked)",
        "Real estate loan", "Loan for the purchase of equipment",
        "Loan for purchase of shares (margin lending)", "Mobile operator loan",
        "Interbank credit",
    ),
    # bureau_balance: C closed, X unknown, 0 no DPD, 1..5 increasing days past due buckets
    "STATUS": ("C", "X", "0", "1", "2", "3", "4", "5"),
}

_PREVIOUS_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "NAME_CONTRACT_TYPE": ("Cash loans", "Consumer loans", "Revolving loans", "XNA"),
    "WEEKDAY_APPR_PROCESS_START": _WEEKDAYS,
    "FLAG_LAST_APPL_PER_CONTRACT": _YN,
    "NAME_CASH_LOAN_PURPOSE": (
        "XAP", "XNA", "Repairs", "Other", "Urgent needs", "Buying a used car",
        "Building a house or an annex", "Everyday expenses", "Medicine",
        "Payments on other loans", "Education", "Journey", "Purchase of electronic equipment",
        "Buying a new car", "Wedding / gift / holiday", "Buying a home", "Car repairs",
        "Furniture", "Buying a holiday home / land", "Business development",
        "Gasification / water supply", "Buying a garage", "Hobby", "Money for a third person",
        "Refusal to name the goal",
    ),
    "NAME_CONTRACT_STATUS": ("Approved", "Canceled", "Refused", "Unused offer"),
    "NAME_PAYMENT_TYPE": (
        "Cash through the bank", "XNA", "Non-cash from your account",
        "Cashless from the account of the employer",
    ),
    "CODE_REJECT_REASON": (
        "XAP", "HC", "LIMIT", "SCO", "CLIENT", "SCOFR", "XNA", "VERIF", "SYSTEM",
    ),
    "NAME_TYPE_SUITE": _SUITES,
    "NAME_CLIENT_TYPE": ("Repeater", "New", "Refreshed", "XNA"),
    "NAME_GOODS_CATEGORY": (
        "XNA", "Mobile", "Consumer Electronics", "Computers", "Audio/Video", "Furniture",
        "Photo / Cinema Equipment", "Construction Materials", "Clothing and Accessories",
        "Auto Accessories", "Jewelry", "Homewares", "Medical Supplies", "Vehicles",
        "Sport and Leisure", "Gardening", "Other", "Office Appliances", "Tourism", "Medicine",
        "Direct Sales", "Fitness", "Additional Service", "Education", "Weapon", "Insurance",
        "House Construction", "Animals",
    ),
    "NAME_PORTFOLIO": ("POS", "Cash", "XNA", "Cards", "Cars"),
    "NAME_PRODUCT_TYPE": ("XNA", "x-sell", "walk-in"),
    "CHANNEL_TYPE": (
        "Credit and cash offices", "Country-wide", "Stone", "Regional / Local",
        "Contact center", "AP+ (Cash loan)", "Channel of corporate sales", "Car dealer",
    ),
    "NAME_SELLER_INDUSTRY": (
        "XNA", "Consumer electronics", "Connectivity", "Furniture", "Construction", "Clothing",
        "Industry", "Auto technology", "Jewelry", "MLM partners", "Tourism",
    ),
    "NAME_YIELD_GROUP": ("XNA", "middle", "high", "low_normal", "low_action"),
    "PRODUCT_COMBINATION": (
        "Cash", "POS mobile with interest", "POS household with interest",
        "POS industry with interest", "Cash X-Sell: middle", "Cash X-Sell: low", "Card Street",
        "Card X-Sell", "Cash X-Sell: high", "Cash Street: high", "Cash Street: middle",
        "Cash Street: low", "POS mobile without interest", "POS household without interest",
        "POS industry without interest", "POS other with interest", "POS others without interest",
    ),
}

# fmt: on

_POS_STATUSES = (
    "Active", "Completed", "Signed", "Demand", "Returned to the store", "Approved",
    "Amortized debt", "Canceled", "XNA",
)  # fmt: skip
_CARD_STATUSES = (
    "Active", "Completed", "Signed", "Demand", "Sent proposal", "Refused", "Approved",
)  # fmt: skip

# Categorical columns that are missing for some rows of the real data.
_NULLABLE_CATEGORIES = frozenset(
    {
        "NAME_TYPE_SUITE", "OCCUPATION_TYPE", "FONDKAPREMONT_MODE", "HOUSETYPE_MODE",
        "WALLSMATERIAL_MODE", "EMERGENCYSTATE_MODE", "PRODUCT_COMBINATION",
    }
)  # fmt: skip

# (min, max, hard) bounds; None leaves a side open.
_Bounds = tuple[float | None, float | None, bool]
_FLAG: _Bounds = (0, 1, True)
_NON_NEGATIVE: _Bounds = (0, None, False)
_PAST_DAYS: _Bounds = (None, 0, False)


def _bounds(name: str) -> _Bounds | None:
    """Plausible value bounds for a column, derived from its name and the data dictionary."""
    if name == "TARGET" or name.startswith(("FLAG_", "NFLAG_", "REG_", "LIVE_")):
        return _FLAG
    if name.startswith("EXT_SOURCE_"):
        return (0, 1, True)
    if name == "DAYS_BIRTH":
        return (None, -1, True)
    if name in {"REGION_RATING_CLIENT", "REGION_RATING_CLIENT_W_CITY"}:
        return (1, 3, False)
    if name == "HOUR_APPR_PROCESS_START":
        return (0, 23, True)
    if name in {"AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"}:
        return _NON_NEGATIVE
    if name.startswith(("CNT_", "SK_DPD", "OBS_", "DEF_", "AMT_REQ_")):
        return _NON_NEGATIVE
    if name in {"MONTHS_BALANCE", "DAYS_CREDIT", "DAYS_DECISION", "DAYS_ID_PUBLISH"}:
        return _PAST_DAYS
    if name in {"DAYS_EMPLOYED", "DAYS_REGISTRATION", "DAYS_LAST_PHONE_CHANGE"}:
        return _PAST_DAYS
    if name in {"DAYS_INSTALMENT", "DAYS_ENTRY_PAYMENT"}:
        return _PAST_DAYS
    if name in {"AMT_PAYMENT", "AMT_INSTALMENT", "AMT_CREDIT_SUM_OVERDUE"}:
        return _NON_NEGATIVE
    return None


#: Largest id: ids are read exactly as float64 and JSON numbers only up to 2^53 − 1.
MAX_ID = 2**53 - 1
#: Physical bounds (always errors): what a quantity can be at all, far beyond any real value.
#: Days are within ±1,000,000 (about 2,700 years: the planned end of a long credit line may lie
#: far ahead, and the generator's log-normal durations reach 100,000+); amounts within ±10^12
#: currency units; months within ±2,400; ids within [0, 2^53 − 1].
PHYSICAL_DAYS = 1_000_000.0
PHYSICAL_MONTHS = 2_400.0
PHYSICAL_MONEY = 1e12
PHYSICAL_OTHER = 1e9  # counts, ratios, scores, areas, ages, hours, version numbers


def _physical(name: str) -> tuple[float, float]:
    """``(min, max)`` a numeric column can physically hold."""
    if name.startswith("SK_ID_"):
        return 0.0, float(MAX_ID)
    if name.startswith("DAYS_"):
        return -PHYSICAL_DAYS, PHYSICAL_DAYS
    if name == "MONTHS_BALANCE":
        return -PHYSICAL_MONTHS, PHYSICAL_MONTHS
    if name.startswith("AMT_") and not name.startswith("AMT_REQ_"):
        return -PHYSICAL_MONEY, PHYSICAL_MONEY
    return -PHYSICAL_OTHER, PHYSICAL_OTHER


_SENTINEL_COLUMNS = frozenset(
    {
        "DAYS_EMPLOYED", "DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION",
        "DAYS_LAST_DUE", "DAYS_TERMINATION",
    }
)  # fmt: skip


def _columns(spec: str, vocabularies: dict[str, tuple[str, ...]]) -> tuple[Column, ...]:
    """Build columns from ``"NAME:K NAME:K …"`` (K in I/F/C) in file order."""
    out = []
    for token in spec.split():
        name, kind_code = token.split(":")
        kind = _KINDS[kind_code]
        bounds = _bounds(name) if kind is not Kind.CATEGORY else None
        lo, hi, hard = bounds if bounds else (None, None, False)
        physical_lo, physical_hi = _physical(name) if kind is not Kind.CATEGORY else (None, None)
        out.append(
            Column(
                name=name,
                kind=kind,
                nullable=kind is Kind.FLOAT or name in _NULLABLE_CATEGORIES,
                categories=vocabularies[name] if kind is Kind.CATEGORY else (),
                min_value=lo,
                max_value=hi,
                hard_range=hard,
                physical_min=physical_lo,
                physical_max=physical_hi,
                sentinels=(DAYS_SENTINEL,) if name in _SENTINEL_COLUMNS else (),
            )
        )
    return tuple(out)


_BUILDING = " ".join(
    f"{stat}_{suffix}:F"
    for suffix in ("AVG", "MODE", "MEDI")
    for stat in (
        "APARTMENTS", "BASEMENTAREA", "YEARS_BEGINEXPLUATATION", "YEARS_BUILD", "COMMONAREA",
        "ELEVATORS", "ENTRANCES", "FLOORSMAX", "FLOORSMIN", "LANDAREA", "LIVINGAPARTMENTS",
        "LIVINGAREA", "NONLIVINGAPARTMENTS", "NONLIVINGAREA",
    )
)  # fmt: skip
_DOCUMENTS = " ".join(f"FLAG_DOCUMENT_{i}:I" for i in range(2, 22))

_APPLICATION_HEAD = """
SK_ID_CURR:I"""
_APPLICATION_BODY = f"""
NAME_CONTRACT_TYPE:C CODE_GENDER:C FLAG_OWN_CAR:C FLAG_OWN_REALTY:C CNT_CHILDREN:I
AMT_INCOME_TOTAL:F AMT_CREDIT:F AMT_ANNUITY:F AMT_GOODS_PRICE:F NAME_TYPE_SUITE:C
NAME_INCOME_TYPE:C NAME_EDUCATION_TYPE:C NAME_FAMILY_STATUS:C NAME_HOUSING_TYPE:C
REGION_POPULATION_RELATIVE:F DAYS_BIRTH:I DAYS_EMPLOYED:I DAYS_REGISTRATION:F DAYS_ID_PUBLISH:I
OWN_CAR_AGE:F FLAG_MOBIL:I FLAG_EMP_PHONE:I FLAG_WORK_PHONE:I FLAG_CONT_MOBILE:I FLAG_PHONE:I
FLAG_EMAIL:I OCCUPATION_TYPE:C CNT_FAM_MEMBERS:F REGION_RATING_CLIENT:I
REGION_RATING_CLIENT_W_CITY:I WEEKDAY_APPR_PROCESS_START:C HOUR_APPR_PROCESS_START:I
REG_REGION_NOT_LIVE_REGION:I REG_REGION_NOT_WORK_REGION:I LIVE_REGION_NOT_WORK_REGION:I
REG_CITY_NOT_LIVE_CITY:I REG_CITY_NOT_WORK_CITY:I LIVE_CITY_NOT_WORK_CITY:I ORGANIZATION_TYPE:C
EXT_SOURCE_1:F EXT_SOURCE_2:F EXT_SOURCE_3:F {_BUILDING}
FONDKAPREMONT_MODE:C HOUSETYPE_MODE:C TOTALAREA_MODE:F WALLSMATERIAL_MODE:C EMERGENCYSTATE_MODE:C
OBS_30_CNT_SOCIAL_CIRCLE:F DEF_30_CNT_SOCIAL_CIRCLE:F OBS_60_CNT_SOCIAL_CIRCLE:F
DEF_60_CNT_SOCIAL_CIRCLE:F DAYS_LAST_PHONE_CHANGE:F {_DOCUMENTS}
AMT_REQ_CREDIT_BUREAU_HOUR:F AMT_REQ_CREDIT_BUREAU_DAY:F AMT_REQ_CREDIT_BUREAU_WEEK:F
AMT_REQ_CREDIT_BUREAU_MON:F AMT_REQ_CREDIT_BUREAU_QRT:F AMT_REQ_CREDIT_BUREAU_YEAR:F
"""

_CLIENT = ("SK_ID_CURR",)
# "application" is application_train and application_test together: history belongs to both.
_TO_APPLICATION = ForeignKey(_CLIENT, "application", _CLIENT)
_TO_PREVIOUS = ForeignKey(("SK_ID_PREV",), "previous_application", ("SK_ID_PREV",))

APPLICATION_TRAIN = Table(
    name="application_train",
    columns=_columns(_APPLICATION_HEAD + " TARGET:I " + _APPLICATION_BODY, VOCABULARIES),
    primary_key=_CLIENT,
)
APPLICATION_TEST = Table(
    name="application_test",
    columns=_columns(_APPLICATION_HEAD + _APPLICATION_BODY, VOCABULARIES),
    primary_key=_CLIENT,
)
BUREAU = Table(
    name="bureau",
    columns=_columns(
        """SK_ID_CURR:I SK_ID_BUREAU:I CREDIT_ACTIVE:C CREDIT_CURRENCY:C DAYS_CREDIT:I
        CREDIT_DAY_OVERDUE:I DAYS_CREDIT_ENDDATE:F DAYS_ENDDATE_FACT:F AMT_CREDIT_MAX_OVERDUE:F
        CNT_CREDIT_PROLONG:I AMT_CREDIT_SUM:F AMT_CREDIT_SUM_DEBT:F AMT_CREDIT_SUM_LIMIT:F
        AMT_CREDIT_SUM_OVERDUE:F CREDIT_TYPE:C DAYS_CREDIT_UPDATE:I AMT_ANNUITY:F""",
        VOCABULARIES,
    ),
    primary_key=("SK_ID_BUREAU",),
    foreign_keys=(_TO_APPLICATION,),
)
BUREAU_BALANCE = Table(
    name="bureau_balance",
    columns=_columns("SK_ID_BUREAU:I MONTHS_BALANCE:I STATUS:C", VOCABULARIES),
    primary_key=("SK_ID_BUREAU", "MONTHS_BALANCE"),
    foreign_keys=(ForeignKey(("SK_ID_BUREAU",), "bureau", ("SK_ID_BUREAU",)),),
    client_key="",  # reaches the client through bureau
)
PREVIOUS_APPLICATION = Table(
    name="previous_application",
    columns=_columns(
        """SK_ID_PREV:I SK_ID_CURR:I NAME_CONTRACT_TYPE:C AMT_ANNUITY:F AMT_APPLICATION:F
        AMT_CREDIT:F AMT_DOWN_PAYMENT:F AMT_GOODS_PRICE:F WEEKDAY_APPR_PROCESS_START:C
        HOUR_APPR_PROCESS_START:I FLAG_LAST_APPL_PER_CONTRACT:C NFLAG_LAST_APPL_IN_DAY:I
        RATE_DOWN_PAYMENT:F RATE_INTEREST_PRIMARY:F RATE_INTEREST_PRIVILEGED:F
        NAME_CASH_LOAN_PURPOSE:C NAME_CONTRACT_STATUS:C DAYS_DECISION:I NAME_PAYMENT_TYPE:C
        CODE_REJECT_REASON:C NAME_TYPE_SUITE:C NAME_CLIENT_TYPE:C NAME_GOODS_CATEGORY:C
        NAME_PORTFOLIO:C NAME_PRODUCT_TYPE:C CHANNEL_TYPE:C SELLERPLACE_AREA:I
        NAME_SELLER_INDUSTRY:C CNT_PAYMENT:F NAME_YIELD_GROUP:C PRODUCT_COMBINATION:C
        DAYS_FIRST_DRAWING:F DAYS_FIRST_DUE:F DAYS_LAST_DUE_1ST_VERSION:F DAYS_LAST_DUE:F
        DAYS_TERMINATION:F NFLAG_INSURED_ON_APPROVAL:F""",
        _PREVIOUS_VOCABULARIES,
    ),
    primary_key=("SK_ID_PREV",),
    foreign_keys=(_TO_APPLICATION,),
)
POS_CASH_BALANCE = Table(
    name="POS_CASH_balance",
    columns=_columns(
        """SK_ID_PREV:I SK_ID_CURR:I MONTHS_BALANCE:I CNT_INSTALMENT:F CNT_INSTALMENT_FUTURE:F
        NAME_CONTRACT_STATUS:C SK_DPD:I SK_DPD_DEF:I""",
        {"NAME_CONTRACT_STATUS": _POS_STATUSES},
    ),
    foreign_keys=(_TO_PREVIOUS, _TO_APPLICATION),
)
INSTALLMENTS_PAYMENTS = Table(
    name="installments_payments",
    columns=_columns(
        """SK_ID_PREV:I SK_ID_CURR:I NUM_INSTALMENT_VERSION:F NUM_INSTALMENT_NUMBER:I
        DAYS_INSTALMENT:F DAYS_ENTRY_PAYMENT:F AMT_INSTALMENT:F AMT_PAYMENT:F""",
        {},
    ),
    foreign_keys=(_TO_PREVIOUS, _TO_APPLICATION),
)
CREDIT_CARD_BALANCE = Table(
    name="credit_card_balance",
    columns=_columns(
        """SK_ID_PREV:I SK_ID_CURR:I MONTHS_BALANCE:I AMT_BALANCE:F AMT_CREDIT_LIMIT_ACTUAL:I
        AMT_DRAWINGS_ATM_CURRENT:F AMT_DRAWINGS_CURRENT:F AMT_DRAWINGS_OTHER_CURRENT:F
        AMT_DRAWINGS_POS_CURRENT:F AMT_INST_MIN_REGULARITY:F AMT_PAYMENT_CURRENT:F
        AMT_PAYMENT_TOTAL_CURRENT:F AMT_RECEIVABLE_PRINCIPAL:F AMT_RECIVABLE:F
        AMT_TOTAL_RECEIVABLE:F CNT_DRAWINGS_ATM_CURRENT:F CNT_DRAWINGS_CURRENT:I
        CNT_DRAWINGS_OTHER_CURRENT:F CNT_DRAWINGS_POS_CURRENT:F CNT_INSTALMENT_MATURE_CUM:F
        NAME_CONTRACT_STATUS:C SK_DPD:I SK_DPD_DEF:I""",
        {"NAME_CONTRACT_STATUS": _CARD_STATUSES},
    ),
    foreign_keys=(_TO_PREVIOUS, _TO_APPLICATION),
)

#: Every table, keyed by name (the file stem of its Kaggle CSV), in loading order.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        APPLICATION_TRAIN,
        APPLICATION_TEST,
        BUREAU,
        BUREAU_BALANCE,
        PREVIOUS_APPLICATION,
        POS_CASH_BALANCE,
        INSTALLMENTS_PAYMENTS,
        CREDIT_CARD_BALANCE,
    )
}
HISTORY_TABLES = tuple(name for name in TABLES if not name.startswith("application_"))


def table(name: str) -> Table:
    """The table called ``name`` (file stem, e.g. ``"bureau"``)."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None
