"""Marginal distributions of the synthetic population, baked into code.

Estimated once from the real Home Credit sample (2,500 applications, the complete bureau and
card histories of 1,000 train clients, 1,500 random rows of the other history tables) and the
Kaggle data dictionary; category frequencies too rare to show in the sample come from the full
Kaggle tables. Nothing here reads a file: the generator runs without the sample.

Conventions: ``*_FREQ`` map a category (from the schema vocabulary) to its share of rows;
``*_QUANTILES`` give values at the probabilities of :data:`QUANTILE_GRID` (inverse-CDF tables,
interpolated linearly); ``*_MISSING`` are shares of rows with a missing value. Days are negative
offsets from the application date, amounts are currency units.
"""

from __future__ import annotations

#: Probabilities at which every ``*_QUANTILES`` table is given.
QUANTILE_GRID: tuple[float, ...] = (
    0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5,
    0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1.0,
)  # fmt: skip

# --- application: who applies -------------------------------------------------------------
CONTRACT_TYPE_FREQ = {"Cash loans": 0.9048, "Revolving loans": 0.0952}
GENDER_FREQ = {"F": 0.6583, "M": 0.3417, "XNA": 0.000013}
#: Age in years at application (from DAYS_BIRTH of the sample).
AGE_YEARS_QUANTILES = (
    20.52, 22.97, 23.74, 26.06, 28.43, 30.42, 32.79, 34.54, 36.41, 39.95, 43.35,
    47.77, 52.51, 54.64, 56.44, 58.67, 60.85, 63.68, 65.82, 66.68, 68.71,
)  # fmt: skip
EDUCATION_FREQ = {
    "Secondary / secondary special": 0.7102, "Higher education": 0.2434,
    "Incomplete higher": 0.0334, "Lower secondary": 0.0124, "Academic degree": 0.0006,
}  # fmt: skip
#: Income type of clients who are not pensioners (pensioners follow from age, see below).
WORKING_INCOME_TYPE_FREQ = {
    "Working": 0.6285, "Commercial associate": 0.2836, "State servant": 0.0873,
    "Unemployed": 0.00009, "Student": 0.00007, "Businessman": 0.00004, "Maternity leave": 0.00002,
}  # fmt: skip
#: P(pensioner | age): logistic in age, centred near the pension age; ~18% overall.
PENSION_AGE_CENTRE = 58.3
PENSION_AGE_SCALE = 2.6
PENSIONER_YOUNG_SHARE = 0.008  # disability pensions below the pension age
FAMILY_STATUS_FREQ = {
    "Married": 0.6687, "Single / not married": 0.1178, "Civil marriage": 0.0968,
    "Separated": 0.0643, "Widow": 0.0523, "Unknown": 0.00001,
}  # fmt: skip
#: Children of clients aged 24–52 (younger and older clients mostly have none at home).
CHILDREN_FREQ = {0: 0.59, 1: 0.27, 2: 0.118, 3: 0.0165, 4: 0.002, 5: 0.0004, 6: 0.0002}
HOUSING_FREQ = {
    "House / apartment": 0.8873, "With parents": 0.0483, "Municipal apartment": 0.0364,
    "Rented apartment": 0.0159, "Office apartment": 0.0085, "Co-op apartment": 0.0036,
}  # fmt: skip
SUITE_MISSING = 0.0042
SUITE_FREQ = {
    "Unaccompanied": 0.8116, "Family": 0.1311, "Spouse, partner": 0.0371, "Children": 0.0107,
    "Other_B": 0.0058, "Other_A": 0.0028, "Group of people": 0.0009,
}  # fmt: skip
#: Occupation of employed clients, by gender (the real data is strongly gendered here).
OCCUPATION_FREQ_F = {
    "Laborers": 0.170,
    "Sales staff": 0.205,
    "Core staff": 0.170,
    "Managers": 0.080,
    "Drivers": 0.010,
    "High skill tech staff": 0.045,
    "Accountants": 0.075,
    "Medicine staff": 0.065,
    "Security staff": 0.008,
    "Cooking staff": 0.036,
    "Cleaning staff": 0.030,
    "Private service staff": 0.017,
    "Low-skill Laborers": 0.007,
    "Waiters/barmen staff": 0.008,
    "Secretaries": 0.009,
    "Realty agents": 0.004,
    "HR staff": 0.004,
    "IT staff": 0.002,
}
OCCUPATION_FREQ_M = {
    "Laborers": 0.340,
    "Sales staff": 0.060,
    "Core staff": 0.060,
    "Managers": 0.120,
    "Drivers": 0.220,
    "High skill tech staff": 0.060,
    "Accountants": 0.005,
    "Medicine staff": 0.006,
    "Security staff": 0.060,
    "Cooking staff": 0.012,
    "Cleaning staff": 0.005,
    "Private service staff": 0.006,
    "Low-skill Laborers": 0.018,
    "Waiters/barmen staff": 0.005,
    "Secretaries": 0.001,
    "Realty agents": 0.002,
    "HR staff": 0.001,
    "IT staff": 0.005,
}
OCCUPATION_MISSING_WORKING = 0.165  # employed clients with no occupation recorded
OCCUPATION_MISSING_PENSIONER = 0.9995
#: Organisation of employed clients ("XNA" is reserved for DAYS_EMPLOYED = 365243).
ORGANIZATION_FREQ = {
    "Business Entity Type 3": 0.2210,
    "Self-employed": 0.1250,
    "Other": 0.0543,
    "Medicine": 0.0364,
    "Business Entity Type 2": 0.0343,
    "Government": 0.0338,
    "School": 0.0289,
    "Trade: type 7": 0.0255,
    "Kindergarten": 0.0224,
    "Construction": 0.0218,
    "Business Entity Type 1": 0.0195,
    "Transport: type 4": 0.0176,
    "Trade: type 3": 0.0114,
    "Industry: type 9": 0.0110,
    "Industry: type 3": 0.0107,
    "Security": 0.0106,
    "Housing": 0.0096,
    "Industry: type 11": 0.0088,
    "Military": 0.0086,
    "Bank": 0.0082,
    "Agriculture": 0.0080,
    "Police": 0.0076,
    "Transport: type 2": 0.0072,
    "Postal": 0.0070,
    "Security Ministries": 0.0064,
    "Trade: type 2": 0.0062,
    "Restaurant": 0.0059,
    "Services": 0.0051,
    "University": 0.0043,
    "Industry: type 7": 0.0043,
    "Transport: type 3": 0.0039,
    "Industry: type 1": 0.0034,
    "Hotel": 0.0031,
    "Electricity": 0.0031,
    "Industry: type 4": 0.0029,
    "Trade: type 6": 0.0021,
    "Industry: type 5": 0.0019,
    "Insurance": 0.0019,
    "Telecom": 0.0019,
    "Emergency": 0.0018,
    "Industry: type 2": 0.0015,
    "Advertising": 0.0014,
    "Realtor": 0.0013,
    "Culture": 0.0012,
    "Industry: type 12": 0.0012,
    "Trade: type 1": 0.0011,
    "Mobile": 0.0010,
    "Legal Services": 0.0010,
    "Cleaning": 0.0008,
    "Transport: type 1": 0.0007,
    "Industry: type 6": 0.0004,
    "Industry: type 10": 0.0004,
    "Religion": 0.0003,
    "Industry: type 13": 0.0002,
    "Trade: type 4": 0.0002,
    "Trade: type 5": 0.0002,
    "Industry: type 8": 0.0001,
}
#: Years employed (employed clients), from the non-sentinel DAYS_EMPLOYED of the sample.
EMPLOYED_YEARS_QUANTILES = (
    0.05, 0.31, 0.36, 0.55, 0.89, 1.31, 1.82, 2.22, 2.62, 3.40, 4.69,
    6.18, 8.00, 9.03, 10.32, 12.09, 14.87, 19.38, 23.53, 27.78, 43.97,
)  # fmt: skip

# --- application: money -------------------------------------------------------------------
#: log(AMT_INCOME_TOTAL): median ~147k, rounded to the 4,500 grid the real data uses.
INCOME_LOG_MEDIAN = 11.90
INCOME_LOG_SD = 0.50
#: Cash loans: log(AMT_GOODS_PRICE) ~ median 450k; credit = goods × insurance load.
GOODS_LOG_MEDIAN = 13.05
GOODS_LOG_SD = 0.62
GOODS_INCOME_ELASTICITY = 0.45
CREDIT_GOODS_EQUAL_SHARE = 0.345  # credit equals the goods price (no insurance)
#: AMT_CREDIT / AMT_ANNUITY of cash loans (≈ term in months); larger loans run longer.
CREDIT_ANNUITY_RATIO_QUANTILES = (
    8.04, 8.38, 8.43, 9.29, 9.53, 10.26, 12.58, 12.66, 13.63, 15.65, 18.38,
    19.54, 22.48, 23.52, 25.12, 27.71, 30.89, 34.06, 36.11, 37.69, 39.56,
)  # fmt: skip
CREDIT_ANNUITY_RATIO_LOADING = 0.7  # latent correlation with the size of the loan
REVOLVING_LIMITS = (
    45000, 67500, 90000, 112500, 135000, 157500, 180000, 202500, 225000, 270000, 315000,
    337500, 405000, 450000, 495000, 540000, 585000, 675000,
)  # fmt: skip
REVOLVING_LIMIT_WEIGHTS = (
    4, 4, 6, 5, 10, 4, 8, 5, 9, 9, 4, 5, 4, 6, 3, 3, 2, 2,
)  # fmt: skip
#: Card limits of previous revolving applications (lower than the current applications').
PREVIOUS_REVOLVING_LIMIT_WEIGHTS = (
    10, 6, 8, 5, 12, 3, 8, 3, 6, 5, 2, 2, 1, 3, 0.5, 0.5, 0.3, 0.3,
)  # fmt: skip
REVOLVING_ANNUITY_RATE = 0.05  # monthly minimum: 5% of the limit
REVOLVING_GOODS_MISSING = 0.0095

# --- application: external scores ----------------------------------------------------------
EXT_SOURCE_QUANTILES = {
    "EXT_SOURCE_1": (
        0.0146,
        0.0759,
        0.1001,
        0.1534,
        0.2095,
        0.2667,
        0.3100,
        0.3510,
        0.3855,
        0.4550,
        0.5187,
        0.5829,
        0.6463,
        0.6737,
        0.7141,
        0.7489,
        0.7834,
        0.8297,
        0.8653,
        0.8863,
        0.9627,
    ),
    "EXT_SOURCE_2": (
        0.00001,
        0.0352,
        0.0653,
        0.1405,
        0.2305,
        0.2980,
        0.3591,
        0.4114,
        0.4501,
        0.5167,
        0.5630,
        0.6039,
        0.6385,
        0.6577,
        0.6760,
        0.6946,
        0.7204,
        0.7486,
        0.7739,
        0.7871,
        0.8550,
    ),
    "EXT_SOURCE_3": (
        0.0005,
        0.0894,
        0.1149,
        0.1664,
        0.2405,
        0.2912,
        0.3329,
        0.3723,
        0.4049,
        0.4647,
        0.5245,
        0.5797,
        0.6364,
        0.6675,
        0.6926,
        0.7151,
        0.7463,
        0.7739,
        0.8084,
        0.8193,
        0.8960,
    ),
}
EXT_SOURCE_MISSING = {"EXT_SOURCE_1": 0.544, "EXT_SOURCE_2": 0.0021, "EXT_SOURCE_3": 0.198}

# --- application: where and when ------------------------------------------------------------
REGION_RATING_FREQ = {1: 0.105, 2: 0.738, 3: 0.157}
#: REGION_POPULATION_RELATIVE values (normalised population of the region) by region rating.
REGION_POPULATION_BY_RATING = {
    1: ((0.04622, 0.072508, 0.035792, 0.030755, 0.031329), (0.45, 0.25, 0.1, 0.1, 0.1)),
    2: (
        (0.035792, 0.030755, 0.028663, 0.025164, 0.026392, 0.032561, 0.022625, 0.02461,
         0.018634, 0.01885, 0.018801, 0.018209, 0.019689, 0.020246, 0.015221, 0.014464,
         0.016612, 0.010006, 0.010032, 0.00733, 0.006629, 0.010643, 0.009175, 0.008474,
         0.007274, 0.006296, 0.005313, 0.004849, 0.003818),
        (6, 5, 4, 3.5, 3, 2.5, 2, 2, 3, 2.5, 2.3, 2.1, 2, 1.8, 2.6, 1.6, 1.5, 1.7, 1.5, 1, 1,
         1.5, 1.3, 1.2, 1, 1, 1, 0.8, 0.6),
    ),
    3: (
        (0.018029, 0.020713, 0.019101, 0.010966, 0.00702, 0.00496, 0.00712, 0.0105, 0.010643,
         0.011703, 0.009657, 0.006305, 0.008019, 0.003541, 0.002042),
        (2, 2, 3, 1.5, 1.3, 1.2, 1.2, 1.2, 1, 1, 1, 1, 1, 0.7, 0.5),
    ),
}  # fmt: skip
WEEKDAY_FREQ = {
    "MONDAY": 0.1648, "TUESDAY": 0.1753, "WEDNESDAY": 0.1689, "THURSDAY": 0.1645,
    "FRIDAY": 0.1637, "SATURDAY": 0.1101, "SUNDAY": 0.0527,
}  # fmt: skip
HOUR_QUANTILES = (
    0.0, 4.0, 5.0, 7.0, 8.0, 9.0, 9.0, 10.0, 10.0, 11.0, 12.0,
    13.0, 14.0, 14.0, 15.0, 16.0, 17.0, 17.0, 19.0, 19.0, 23.99,
)  # fmt: skip
REGISTRATION_DAYS_QUANTILES = (
    -24672.0, -14039.15, -13259.2, -11544.3, -10088.9, -9198.1, -8338.4, -7694.5, -6927.9,
    -5534.4, -4492.5, -3472.6, -2461.0, -1936.25, -1466.8, -1093.85, -699.7, -357.85,
    -149.98, -69.99, 0.0,
)  # fmt: skip
ID_PUBLISH_DAYS_QUANTILES = (
    -7197.0, -5593.0, -5313.56, -5050.25, -4807.2, -4661.45, -4514.2, -4400.0, -4259.8,
    -3953.8, -3352.0, -2783.6, -2160.4, -1844.75, -1476.8, -1162.7, -800.5, -420.95, -198.9,
    -94.97, 0.0,
)  # fmt: skip
PHONE_CHANGE_DAYS_QUANTILES = (
    -4292.0, -3222.05, -2996.16, -2604.1, -2218.5, -1986.3, -1808.4, -1700.5, -1538.0,
    -1104.0, -790.0, -594.0, -398.0, -304.0, -210.8, -15.85, 0.0, 0.0, 0.0, 0.0, 0.0,
)  # fmt: skip
PHONE_CHANGE_MISSING = 0.000003
#: Shares of 1 for the 0/1 contact and address-mismatch flags.
FLAG_SHARES = {
    "FLAG_WORK_PHONE": 0.20, "FLAG_CONT_MOBILE": 0.998, "FLAG_PHONE": 0.281, "FLAG_EMAIL": 0.057,
    "REG_REGION_NOT_LIVE_REGION": 0.015, "REG_REGION_NOT_WORK_REGION": 0.051,
    "LIVE_REGION_NOT_WORK_REGION": 0.041, "REG_CITY_NOT_LIVE_CITY": 0.078,
    "REG_CITY_NOT_WORK_CITY": 0.230, "LIVE_CITY_NOT_WORK_CITY": 0.180,
}  # fmt: skip
FLAG_MOBIL_ZERO_SHARE = 0.000003
DOCUMENT_SHARES = {
    2: 0.00004, 3: 0.710, 4: 0.00008, 5: 0.0151, 6: 0.0881, 7: 0.0002, 8: 0.0814, 9: 0.0039,
    10: 0.00002, 11: 0.0039, 12: 0.000007, 13: 0.0035, 14: 0.0029, 15: 0.0012, 16: 0.0099,
    17: 0.0003, 18: 0.0081, 19: 0.0006, 20: 0.0005, 21: 0.0003,
}  # fmt: skip
OWN_CAR_FREQ_BY_GENDER = {"F": 0.21, "M": 0.556}
OWN_REALTY_SHARE = 0.694
OWN_CAR_AGE_QUANTILES = (
    0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0,
    11.0, 14.0, 15.0, 16.6, 19.0, 22.0, 28.0, 64.0, 65.0, 91.0,
)  # fmt: skip
#: Social circle: observed contacts (30/60 days past due windows) and their defaults.
SOCIAL_MISSING = 0.0033
SOCIAL_OBS_QUANTILES = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 6.0, 8.0, 10.0, 30.0,
)  # fmt: skip
#: Credit-bureau enquiries before the application (hour … year windows).
BUREAU_REQUEST_MISSING = 0.135
BUREAU_REQUEST_FREQ = {
    "AMT_REQ_CREDIT_BUREAU_HOUR": {0: 0.9939, 1: 0.0058, 2: 0.0003},
    "AMT_REQ_CREDIT_BUREAU_DAY": {0: 0.9944, 1: 0.0048, 2: 0.0005, 3: 0.0003},
    "AMT_REQ_CREDIT_BUREAU_WEEK": {0: 0.9676, 1: 0.0305, 2: 0.0013, 3: 0.0006},
    "AMT_REQ_CREDIT_BUREAU_MON": {
        0: 0.835,
        1: 0.124,
        2: 0.020,
        3: 0.007,
        4: 0.004,
        5: 0.0025,
        6: 0.002,
        8: 0.0015,
        10: 0.001,
        15: 0.0005,
    },
    "AMT_REQ_CREDIT_BUREAU_QRT": {0: 0.810, 1: 0.127, 2: 0.054, 3: 0.0065, 4: 0.0018, 5: 0.0007},
    "AMT_REQ_CREDIT_BUREAU_YEAR": {
        0: 0.269,
        1: 0.238,
        2: 0.189,
        3: 0.126,
        4: 0.078,
        5: 0.044,
        6: 0.026,
        7: 0.015,
        8: 0.008,
        9: 0.004,
        11: 0.002,
        15: 0.001,
    },
}

# --- application: the building the client lives in (normalised statistics) ------------------
#: Share of clients with no building information at all (the blocks go missing together).
BUILDING_ALL_MISSING = 0.47
#: (share missing overall, quantiles of the _AVG statistic); _MODE and _MEDI follow _AVG.
BUILDING_STATS: dict[str, tuple[float, tuple[float, ...]]] = {
    "APARTMENTS": (0.507, (0.0, 0.0021, 0.0041, 0.0082, 0.0172, 0.0284, 0.0412, 0.0517, 0.0619,
                           0.0732, 0.0865, 0.1031, 0.132, 0.1485, 0.178, 0.208, 0.2443, 0.3056,
                           0.4021, 0.4834, 1.0)),
    "BASEMENTAREA": (0.585, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0134, 0.0326, 0.0445, 0.0519, 0.064,
                             0.076, 0.0849, 0.1011, 0.111, 0.1226, 0.1405, 0.166, 0.2203,
                             0.2746, 0.3154, 1.0)),
    "YEARS_BEGINEXPLUATATION": (0.488, (0.0, 0.9513, 0.9575, 0.9672, 0.9717, 0.9737, 0.9752,
                                        0.9762, 0.9776, 0.9801, 0.9821, 0.9841, 0.9861, 0.9871,
                                        0.9876, 0.9891, 0.9911, 0.9955, 0.9985, 0.999, 1.0)),
    "YEARS_BUILD": (0.665, (0.0, 0.4016, 0.4696, 0.5784, 0.6253, 0.6464, 0.6668, 0.6872,
                            0.7008, 0.7348, 0.762, 0.7892, 0.8164, 0.8232, 0.8368, 0.8572,
                            0.8912, 0.9493, 0.9796, 0.9864, 1.0)),
    "COMMONAREA": (0.699, (0.0, 0.0, 0.0, 0.0, 0.0002, 0.0027, 0.0056, 0.0076, 0.0094, 0.0142,
                           0.0217, 0.0305, 0.0417, 0.052, 0.0645, 0.0782, 0.1029, 0.1654,
                           0.2317, 0.3665, 1.0)),
    "ELEVATORS": (0.533, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.04, 0.12,
                          0.16, 0.16, 0.22, 0.24, 0.3584, 0.48, 0.5644, 1.0)),
    "ENTRANCES": (0.503, (0.0, 0.0345, 0.0345, 0.0345, 0.0345, 0.069, 0.069, 0.069, 0.1034,
                          0.1034, 0.1379, 0.1379, 0.1724, 0.2069, 0.2069, 0.2069, 0.2759,
                          0.3103, 0.4075, 0.4828, 1.0)),
    "FLOORSMAX": (0.498, (0.0, 0.0, 0.0, 0.0417, 0.0417, 0.0833, 0.125, 0.1667, 0.1667, 0.1667,
                          0.1667, 0.1875, 0.3333, 0.3333, 0.3333, 0.3333, 0.375, 0.5073, 0.6475,
                          0.6667, 1.0)),
    "FLOORSMIN": (0.679, (0.0, 0.0, 0.0208, 0.0417, 0.0417, 0.0417, 0.0833, 0.125, 0.1667,
                          0.2083, 0.2083, 0.2083, 0.375, 0.375, 0.375, 0.375, 0.4167, 0.5,
                          0.6667, 0.7083, 1.0)),
    "LANDAREA": (0.594, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0064, 0.0118, 0.0177, 0.0222, 0.0343,
                         0.0457, 0.0625, 0.0771, 0.0867, 0.1003, 0.118, 0.1423, 0.1698, 0.2303,
                         0.296, 1.0)),
    "LIVINGAPARTMENTS": (0.684, (0.0, 0.005, 0.0067, 0.0101, 0.0185, 0.0303, 0.0403, 0.0496,
                                 0.0531, 0.0641, 0.0756, 0.0899, 0.1084, 0.1261, 0.1513, 0.1776,
                                 0.2016, 0.2647, 0.3487, 0.4347, 1.0)),
    "LIVINGAREA": (0.502, (0.0, 0.0017, 0.0043, 0.0076, 0.0133, 0.0222, 0.0334, 0.0423, 0.0504,
                           0.0618, 0.0726, 0.0895, 0.115, 0.1366, 0.1641, 0.1976, 0.2368,
                           0.3146, 0.4004, 0.4786, 1.0)),
    "NONLIVINGAPARTMENTS": (0.694, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                                    0.0039, 0.0039, 0.0077, 0.0077, 0.0124, 0.0232, 0.0352,
                                    0.0579, 1.0)),
    "NONLIVINGAREA": (0.552, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0033, 0.0088,
                              0.0199, 0.0305, 0.041, 0.0559, 0.0754, 0.125, 0.2132, 0.3192,
                              1.0)),
}  # fmt: skip
TOTALAREA_MISSING = 0.483
BUILDING_CATEGORY_MISSING = {
    "FONDKAPREMONT_MODE": 0.684, "HOUSETYPE_MODE": 0.502, "WALLSMATERIAL_MODE": 0.508,
    "EMERGENCYSTATE_MODE": 0.474,
}  # fmt: skip
BUILDING_CATEGORY_FREQ = {
    "FONDKAPREMONT_MODE": {
        "reg oper account": 0.7595, "reg oper spec account": 0.1238, "not specified": 0.0587,
        "org spec account": 0.0580,
    },
    "HOUSETYPE_MODE": {"block of flats": 0.9822, "specific housing": 0.0099,
                       "terraced house": 0.0079},
    "WALLSMATERIAL_MODE": {
        "Panel": 0.437, "Stone, brick": 0.4272, "Block": 0.0611, "Wooden": 0.0354,
        "Mixed": 0.0152, "Monolithic": 0.0118, "Others": 0.0108,
    },
    "EMERGENCYSTATE_MODE": {"No": 0.9855, "Yes": 0.0145},
}  # fmt: skip

# --- bureau --------------------------------------------------------------------------------
BUREAU_NONE_SHARE = 0.14  # clients with no credit reported by other institutions
BUREAU_EXTRA_MEAN = 4.72  # number of credits beyond the first (negative binomial mean)
BUREAU_EXTRA_DISPERSION = 1.6
BUREAU_TYPE_FREQ = {
    "Consumer credit": 0.7292, "Credit card": 0.2344, "Car loan": 0.0161, "Mortgage": 0.0107,
    "Microloan": 0.0072, "Loan for business development": 0.0012, "Another type of loan": 0.0006,
    "Unknown type of loan": 0.0003, "Loan for working capital replenishment": 0.0002,
    "Cash loan (non-earmarked)": 0.00003, "Real estate loan": 0.00002,
    "Loan for the purchase of equipment": 0.00001,
    "Loan for purchase of shares (margin lending)": 0.000003, "Mobile operator loan": 0.000001,
    "Interbank credit": 0.000001,
}  # fmt: skip
BUREAU_CURRENCY_FREQ = {
    "currency 1": 0.99918, "currency 2": 0.00072, "currency 3": 0.00010, "currency 4": 0.000006,
}  # fmt: skip
#: Days since the bureau credit was opened (positive), from DAYS_CREDIT of the sample.
BUREAU_AGE_DAYS_QUANTILES = (
    1.0, 40.0, 70.0, 125.0, 223.0, 320.0, 400.0, 487.0, 580.0, 780.0, 1024.0,
    1250.0, 1520.0, 1720.0, 1930.0, 2200.0, 2461.0, 2678.0, 2820.0, 2866.0, 2922.0,
)  # fmt: skip
BUREAU_ENDDATE_MISSING_CARD = 0.20  # open-ended credit cards have no planned end
#: Share of bureau rows missing each column (missing at random).
BUREAU_MISSING_SHARE = {
    "AMT_CREDIT_SUM_DEBT": 0.15,
    "AMT_CREDIT_SUM_LIMIT": 0.345,
    "AMT_ANNUITY": 0.76,
    "AMT_CREDIT_MAX_OVERDUE": 0.655,
}
BUREAU_SOLD_SHARE = 0.0044
BUREAU_BAD_DEBT_SHARE = 0.00001
#: Share of bureau credits that have monthly statuses in bureau_balance.
BUREAU_BALANCE_SHARE = 0.45
BB_UNKNOWN_CREDIT_SHARE = 0.18  # credits reported only with status X

# --- previous applications -------------------------------------------------------------------
PREVIOUS_NONE_SHARE = 0.05
PREVIOUS_EXTRA_MEAN = 3.95
PREVIOUS_EXTRA_DISPERSION = 1.3
PREVIOUS_TYPE_FREQ = {
    "Cash loans": 0.4270, "Consumer loans": 0.4178, "Revolving loans": 0.1550, "XNA": 0.0002,
}  # fmt: skip
#: Clients whose first application became an instalment loan (cash or consumer, approved).
FIRST_LOAN_GRANTED_SHARE = 0.93
#: Outcome shares by contract type (refusals are then tilted by the client's risk).
PREVIOUS_STATUS_BY_TYPE = {
    "Cash loans": {"Approved": 0.30, "Canceled": 0.40, "Refused": 0.29, "Unused offer": 0.01},
    "Consumer loans": {"Approved": 0.75, "Canceled": 0.01, "Refused": 0.20,
                       "Unused offer": 0.04},
    "Revolving loans": {"Approved": 0.62, "Canceled": 0.14, "Refused": 0.24,
                        "Unused offer": 0.0},
    "XNA": {"Approved": 0.0, "Canceled": 0.9, "Refused": 0.1, "Unused offer": 0.0},
}  # fmt: skip
#: Days before the application of the previous decision (positive), from the sample.
PREVIOUS_AGE_DAYS_QUANTILES = (
    1.0, 18.0, 35.0, 86.0, 161.0, 210.0, 255.0, 294.0, 345.0, 460.0, 606.0,
    780.0, 1050.0, 1371.0, 1700.0, 2100.0, 2335.0, 2594.0, 2800.0, 2863.0, 2922.0,
)  # fmt: skip
CONSUMER_TERM_FREQ = {4: 0.03, 6: 0.20, 8: 0.06, 10: 0.20, 12: 0.28, 18: 0.07, 24: 0.13, 36: 0.03}
CASH_PREV_TERM_FREQ = {
    6: 0.12, 12: 0.34, 18: 0.10, 24: 0.20, 30: 0.02, 36: 0.11, 48: 0.06, 60: 0.05,
}  # fmt: skip
YIELD_RATES = {"low_action": 0.03, "low_normal": 0.12, "middle": 0.22, "high": 0.36}
CONSUMER_YIELD_FREQ = {"high": 0.33, "middle": 0.27, "low_normal": 0.28, "low_action": 0.12}
CASH_YIELD_FREQ = {"high": 0.22, "middle": 0.30, "low_normal": 0.38, "low_action": 0.10}
#: Canceled cash loans mostly carry no amounts at all (an abandoned offer).
CASH_CANCELED_EMPTY_SHARE = 0.92
CASH_PURPOSE_FREQ = {
    "XNA": 0.84, "Repairs": 0.07, "Other": 0.04, "Urgent needs": 0.011, "Buying a used car": 0.004,
    "Building a house or an annex": 0.0037, "Everyday expenses": 0.0034, "Medicine": 0.003,
    "Payments on other loans": 0.0027, "Education": 0.0022, "Journey": 0.0017,
    "Purchase of electronic equipment": 0.0015, "Buying a new car": 0.0014,
    "Wedding / gift / holiday": 0.0013, "Buying a home": 0.0012, "Car repairs": 0.0011,
    "Furniture": 0.001, "Buying a holiday home / land": 0.0007, "Business development": 0.0006,
    "Gasification / water supply": 0.0004, "Buying a garage": 0.0002, "Hobby": 0.0001,
    "Money for a third person": 0.00004, "Refusal to name the goal": 0.00002,
}  # fmt: skip
GOODS_CATEGORY_FREQ = {
    "Mobile": 0.290, "Consumer Electronics": 0.134, "Computers": 0.134, "Audio/Video": 0.135,
    "Furniture": 0.057, "Photo / Cinema Equipment": 0.027, "Construction Materials": 0.034,
    "Clothing and Accessories": 0.020, "Auto Accessories": 0.0080, "Jewelry": 0.0140,
    "Homewares": 0.0067, "Medical Supplies": 0.0050, "Vehicles": 0.0060,
    "Sport and Leisure": 0.0042, "Gardening": 0.0037, "Other": 0.0036,
    "Office Appliances": 0.0024, "Tourism": 0.0020, "Medicine": 0.0019, "Direct Sales": 0.0005,
    "Fitness": 0.0003, "Additional Service": 0.0002, "Education": 0.0002, "Weapon": 0.0001,
    "Insurance": 0.0001, "House Construction": 0.00002, "Animals": 0.000003, "XNA": 0.011,
}  # fmt: skip
SELLER_INDUSTRY_CONSUMER_FREQ = {
    "Consumer electronics": 0.45, "Connectivity": 0.33, "Furniture": 0.07, "Construction": 0.036,
    "Clothing": 0.03, "Industry": 0.024, "Auto technology": 0.006, "Jewelry": 0.005,
    "MLM partners": 0.001, "Tourism": 0.0008, "XNA": 0.0472,
}  # fmt: skip
CHANNEL_BY_TYPE = {
    "Cash loans": {"Credit and cash offices": 0.80, "Contact center": 0.09,
                   "AP+ (Cash loan)": 0.085, "Regional / Local": 0.015,
                   "Channel of corporate sales": 0.01},
    "Consumer loans": {"Country-wide": 0.59, "Stone": 0.27, "Regional / Local": 0.13,
                       "Car dealer": 0.01},
    "Revolving loans": {"Credit and cash offices": 0.45, "Stone": 0.2, "Country-wide": 0.18,
                        "AP+ (Cash loan)": 0.12, "Regional / Local": 0.05},
    "XNA": {"Credit and cash offices": 1.0},
}  # fmt: skip
PREVIOUS_SUITE_MISSING_BY_STATUS = {
    "Approved": 0.37, "Canceled": 0.95, "Refused": 0.41, "Unused offer": 0.89,
}  # fmt: skip
PREVIOUS_SUITE_FREQ = {
    "Unaccompanied": 0.58, "Family": 0.25, "Spouse, partner": 0.08, "Children": 0.045,
    "Other_B": 0.03, "Other_A": 0.012, "Group of people": 0.003,
}  # fmt: skip
REFUSAL_REASON_FREQ = {
    "HC": 0.60, "LIMIT": 0.19, "SCO": 0.127, "SCOFR": 0.044, "XNA": 0.025, "VERIF": 0.0138,
    "SYSTEM": 0.0002,
}  # fmt: skip
PREVIOUS_HOUR_QUANTILES = (
    0.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 10.0, 11.0, 11.0, 12.0,
    13.0, 14.0, 15.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 23.99,
)  # fmt: skip
PREVIOUS_WEEKDAY_FREQ = {
    "MONDAY": 0.1535, "TUESDAY": 0.1528, "WEDNESDAY": 0.1524, "THURSDAY": 0.1495,
    "FRIDAY": 0.1534, "SATURDAY": 0.1442, "SUNDAY": 0.0942,
}  # fmt: skip
RATE_INTEREST_SHARE = 0.0036  # RATE_INTEREST_PRIMARY/PRIVILEGED are almost always missing
INSURED_SHARE_BY_TYPE = {"Cash loans": 0.52, "Consumer loans": 0.22, "Revolving loans": 0.0}
#: Approved loans repaid before their planned end (DAYS_LAST_DUE < DAYS_LAST_DUE_1ST_VERSION).
EARLY_REPAYMENT_SHARE = 0.32
#: Approved revolving loans: the card is drawn (DAYS_FIRST_DRAWING set) / has a first due date.
REVOLVING_DRAWN_SHARE = 0.74
REVOLVING_CLOSED_SHARE = 0.12

# --- payments ------------------------------------------------------------------------------
#: Days a typical instalment is paid before it is due (positive), mixed with the client's habit.
PAID_EARLY_DAYS_MEAN = 9.0
SPLIT_PAYMENT_SHARE = 0.13  # instalments paid in two rows
VERSION_CHANGE_SHARE = 0.06  # loans whose instalment schedule was revised (version ≥ 2)

# --- credit cards -----------------------------------------------------------------------------
CARD_HISTORY_SHARE = 0.96  # approved revolving loans that report monthly card balances
CARD_IDLE_SHARE = 0.40  # cards (almost) never used: zero balance every month
CARD_NOT_ACTIVATED_SHARE = 0.17  # cards whose limit is still 0 in their first months
CARD_NO_ACTIVITY_ROW_SHARE = 0.19  # months whose drawing/payment details are not reported
