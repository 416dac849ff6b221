//! Country calling codes (ITU-T E.164 assignments, as listed in ITU-T Rec. E.164 Annex to
//! Operational Bulletin "List of ITU-T Recommendation E.164 assigned country codes") of
//! countries that keep one civil time zone, with that zone's IANA name. Countries with several
//! zones (+1, +7, +52, +55, +61, +62, ...) are deliberately absent: their numbers take
//! `[quiet_hours] default_zone` or a per-prefix override, because the number alone does not
//! tell the zone. Offsets and DST rules come from the tz database, never from this table.

/// (calling code digits, IANA zone). Longest code wins, so `"351"` is checked before `"35"`
/// would be (there is no `"35"`: codes are prefix-free).
pub const SINGLE_ZONE_COUNTRIES: &[(&str, &str)] = &[
    ("20", "Africa/Cairo"),
    ("212", "Africa/Casablanca"),
    ("216", "Africa/Tunis"),
    ("234", "Africa/Lagos"),
    ("254", "Africa/Nairobi"),
    ("27", "Africa/Johannesburg"),
    ("30", "Europe/Athens"),
    ("31", "Europe/Amsterdam"),
    ("32", "Europe/Brussels"),
    ("33", "Europe/Paris"),
    // Spain: the Canary Islands are an hour behind; override "+34922"/"+34928" if needed.
    ("34", "Europe/Madrid"),
    ("350", "Europe/Gibraltar"),
    // Portugal: the Azores are an hour behind the mainland and Madeira.
    ("351", "Europe/Lisbon"),
    ("352", "Europe/Luxembourg"),
    ("353", "Europe/Dublin"),
    ("354", "Atlantic/Reykjavik"),
    ("355", "Europe/Tirane"),
    ("356", "Europe/Malta"),
    ("357", "Asia/Nicosia"),
    ("358", "Europe/Helsinki"),
    ("359", "Europe/Sofia"),
    ("36", "Europe/Budapest"),
    ("370", "Europe/Vilnius"),
    ("371", "Europe/Riga"),
    ("372", "Europe/Tallinn"),
    ("373", "Europe/Chisinau"),
    ("375", "Europe/Minsk"),
    ("376", "Europe/Andorra"),
    ("377", "Europe/Monaco"),
    ("378", "Europe/San_Marino"),
    ("380", "Europe/Kyiv"),
    ("381", "Europe/Belgrade"),
    ("382", "Europe/Podgorica"),
    ("385", "Europe/Zagreb"),
    ("386", "Europe/Ljubljana"),
    ("387", "Europe/Sarajevo"),
    ("389", "Europe/Skopje"),
    ("39", "Europe/Rome"),
    ("40", "Europe/Bucharest"),
    ("41", "Europe/Zurich"),
    ("420", "Europe/Prague"),
    ("421", "Europe/Bratislava"),
    ("423", "Europe/Vaduz"),
    ("43", "Europe/Vienna"),
    ("44", "Europe/London"),
    ("45", "Europe/Copenhagen"),
    ("46", "Europe/Stockholm"),
    ("47", "Europe/Oslo"),
    ("48", "Europe/Warsaw"),
    ("49", "Europe/Berlin"),
    ("63", "Asia/Manila"),
    ("64", "Pacific/Auckland"),
    ("65", "Asia/Singapore"),
    ("66", "Asia/Bangkok"),
    ("81", "Asia/Tokyo"),
    ("82", "Asia/Seoul"),
    ("84", "Asia/Ho_Chi_Minh"),
    ("852", "Asia/Hong_Kong"),
    ("86", "Asia/Shanghai"),
    ("90", "Europe/Istanbul"),
    ("91", "Asia/Kolkata"),
    ("966", "Asia/Riyadh"),
    ("971", "Asia/Dubai"),
    ("972", "Asia/Jerusalem"),
];

/// The zone of the country of `digits` (an E.164 number without `+`), if it has only one.
pub fn country_zone(digits: &str) -> Option<&'static str> {
    SINGLE_ZONE_COUNTRIES
        .iter()
        .filter(|(cc, _)| digits.starts_with(cc))
        .max_by_key(|(cc, _)| cc.len())
        .map(|(_, z)| *z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_in_the_table_should_exist_in_the_bundled_tz_database() {
        for (cc, z) in SINGLE_ZONE_COUNTRIES {
            assert!(jiff::tz::TimeZone::get(z).is_ok(), "+{cc}: {z}");
        }
    }

    #[test]
    fn calling_codes_should_be_prefix_free_in_the_table() {
        for (a, _) in SINGLE_ZONE_COUNTRIES {
            for (b, _) in SINGLE_ZONE_COUNTRIES {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn a_number_should_find_its_country_zone_and_multi_zone_countries_none() {
        assert_eq!(country_zone("358401234567"), Some("Europe/Helsinki"));
        assert_eq!(country_zone("351912345678"), Some("Europe/Lisbon"));
        assert_eq!(country_zone("12125550100"), None);
        assert_eq!(country_zone("79161234567"), None);
    }
}
