//! Code lists too long to sit beside the models that use them. Values and order are Merge's (the
//! order is the one its enum schemas list, kept so that anything generated from them matches).

/// ISO 3166-1 alpha-2 country codes: the values of HRIS `Location.country` (Merge's `CountryEnum`).
pub const COUNTRY_CODES: &[&str] = &[
    "AF", "AX", "AL", "DZ", "AS", "AD", "AO", "AI", "AQ", "AG", "AR", "AM", "AW", "AU", "AT", "AZ", "BS", "BH", "BD",
    "BB", "BY", "BE", "BZ", "BJ", "BM", "BT", "BO", "BQ", "BA", "BW", "BV", "BR", "IO", "BN", "BG", "BF", "BI", "CV",
    "KH", "CM", "CA", "KY", "CF", "TD", "CL", "CN", "CX", "CC", "CO", "KM", "CG", "CD", "CK", "CR", "CI", "HR", "CU",
    "CW", "CY", "CZ", "DK", "DJ", "DM", "DO", "EC", "EG", "SV", "GQ", "ER", "EE", "SZ", "ET", "FK", "FO", "FJ", "FI",
    "FR", "GF", "PF", "TF", "GA", "GM", "GE", "DE", "GH", "GI", "GR", "GL", "GD", "GP", "GU", "GT", "GG", "GN", "GW",
    "GY", "HT", "HM", "VA", "HN", "HK", "HU", "IS", "IN", "ID", "IR", "IQ", "IE", "IM", "IL", "IT", "JM", "JP", "JE",
    "JO", "KZ", "KE", "KI", "KW", "KG", "LA", "LV", "LB", "LS", "LR", "LY", "LI", "LT", "LU", "MO", "MG", "MW", "MY",
    "MV", "ML", "MT", "MH", "MQ", "MR", "MU", "YT", "MX", "FM", "MD", "MC", "MN", "ME", "MS", "MA", "MZ", "MM", "NA",
    "NR", "NP", "NL", "NC", "NZ", "NI", "NE", "NG", "NU", "NF", "KP", "MK", "MP", "NO", "OM", "PK", "PW", "PS", "PA",
    "PG", "PY", "PE", "PH", "PN", "PL", "PT", "PR", "QA", "RE", "RO", "RU", "RW", "BL", "SH", "KN", "LC", "MF", "PM",
    "VC", "WS", "SM", "ST", "SA", "SN", "RS", "SC", "SL", "SG", "SX", "SK", "SI", "SB", "SO", "ZA", "GS", "KR", "SS",
    "ES", "LK", "SD", "SR", "SJ", "SE", "CH", "SY", "TW", "TJ", "TZ", "TH", "TL", "TG", "TK", "TO", "TT", "TN", "TR",
    "TM", "TC", "TV", "UG", "UA", "AE", "GB", "UM", "US", "UY", "UZ", "VU", "VE", "VN", "VG", "VI", "WF", "EH", "YE",
    "ZM", "ZW",
];

/// ISO 4217 currency codes, current and historic: the values of HRIS `Employment.pay_currency`
/// (Merge's `PayCurrencyEnum`).
pub const CURRENCY_CODES: &[&str] = &[
    "XUA", "AFN", "AFA", "ALL", "ALK", "DZD", "ADP", "AOA", "AOK", "AON", "AOR", "ARA", "ARS", "ARM", "ARP", "ARL",
    "AMD", "AWG", "AUD", "ATS", "AZN", "AZM", "BSD", "BHD", "BDT", "BBD", "BYN", "BYB", "BYR", "BEF", "BEC", "BEL",
    "BZD", "BMD", "BTN", "BOB", "BOL", "BOV", "BOP", "BAM", "BAD", "BAN", "BWP", "BRC", "BRZ", "BRE", "BRR", "BRN",
    "BRB", "BRL", "GBP", "BND", "BGL", "BGN", "BGO", "BGM", "BUK", "BIF", "XPF", "KHR", "CAD", "CVE", "KYD", "XAF",
    "CLE", "CLP", "CLF", "CNX", "CNY", "CNH", "COP", "COU", "KMF", "CDF", "CRC", "HRD", "HRK", "CUC", "CUP", "CYP",
    "CZK", "CSK", "DKK", "DJF", "DOP", "NLG", "XCD", "DDM", "ECS", "ECV", "EGP", "GQE", "ERN", "EEK", "ETB", "EUR",
    "XBA", "XEU", "XBB", "XBC", "XBD", "FKP", "FJD", "FIM", "FRF", "XFO", "XFU", "GMD", "GEK", "GEL", "DEM", "GHS",
    "GHC", "GIP", "XAU", "GRD", "GTQ", "GWP", "GNF", "GNS", "GYD", "HTG", "HNL", "HKD", "HUF", "IMP", "ISK", "ISJ",
    "INR", "IDR", "IRR", "IQD", "IEP", "ILS", "ILP", "ILR", "ITL", "JMD", "JPY", "JOD", "KZT", "KES", "KWD", "KGS",
    "LAK", "LVL", "LVR", "LBP", "LSL", "LRD", "LYD", "LTL", "LTT", "LUL", "LUC", "LUF", "MOP", "MKD", "MKN", "MGA",
    "MGF", "MWK", "MYR", "MVR", "MVP", "MLF", "MTL", "MTP", "MRU", "MRO", "MUR", "MXV", "MXN", "MXP", "MDC", "MDL",
    "MCF", "MNT", "MAD", "MAF", "MZE", "MZN", "MZM", "MMK", "NAD", "NPR", "ANG", "TWD", "NZD", "NIO", "NIC", "NGN",
    "KPW", "NOK", "OMR", "PKR", "XPD", "PAB", "PGK", "PYG", "PEI", "PEN", "PES", "PHP", "XPT", "PLN", "PLZ", "PTE",
    "GWE", "QAR", "XRE", "RHD", "RON", "ROL", "RUB", "RUR", "RWF", "SVC", "WST", "SAR", "RSD", "CSD", "SCR", "SLL",
    "XAG", "SGD", "SKK", "SIT", "SBD", "SOS", "ZAR", "ZAL", "KRH", "KRW", "KRO", "SSP", "SUR", "ESP", "ESA", "ESB",
    "XDR", "LKR", "SHP", "XSU", "SDD", "SDG", "SDP", "SRD", "SRG", "SZL", "SEK", "CHF", "SYP", "STN", "STD", "TVD",
    "TJR", "TJS", "TZS", "XTS", "THB", "XXX", "TPE", "TOP", "TTD", "TND", "TRY", "TRL", "TMT", "TMM", "USD", "USN",
    "USS", "UGX", "UGS", "UAH", "UAK", "AED", "UYW", "UYU", "UYP", "UYI", "UZS", "VUV", "VES", "VEB", "VEF", "VND",
    "VNN", "CHE", "CHW", "XOF", "YDD", "YER", "YUN", "YUD", "YUM", "YUR", "ZWN", "ZRN", "ZRZ", "ZMW", "ZMK", "ZWD",
    "ZWR", "ZWL",
];
