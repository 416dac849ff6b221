//! SANS-IO GSM SMS codec (3GPP TS 23.038 alphabets, TS 23.040 TPDUs). No I/O, no async.
