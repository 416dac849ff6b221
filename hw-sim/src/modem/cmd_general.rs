//! V.250 basic commands and the TS 27.007 general commands: identity (§5), SIM PIN (§8.3),
//! functionality (§8.2), registration (§7.2, §10.1.19, §10.1.22), signal (§8.5), operator
//! (§7.3), USSD (§7.15), error reporting (§9.1), and the Huawei `^CURC` switch.

use smsgw::at::fields::{Field, split};

use super::engine::{Engine, Fail, Flow, Output, Sim, Timer};
use super::frontend::Form;

/// The first parameter of a set command as a number.
pub(super) fn num_arg(args: &str, index: usize) -> Option<u32> {
    split(args).get(index).and_then(Field::number)
}

/// A parameter as text (quoted or bare), if present.
pub(super) fn text_arg(args: &str, index: usize) -> Option<String> {
    split(args)
        .get(index)
        .and_then(Field::text)
        .map(str::to_owned)
}

impl Engine {
    /// `E`, `V`, `Q`, `Z`, `&F`, `I`, `H`, `A`, `D` and accepted no-ops (V.250 §6).
    pub(super) fn exec_basic(
        &mut self,
        name: &str,
        value: &str,
        lines: &mut Vec<String>,
        _out: &mut Output,
    ) -> Result<Flow, Fail> {
        let flag = |v: &str| match v {
            "" | "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(Fail::Plain),
        };
        match name {
            "E" => self.echo = flag(value)?,
            "V" => self.verbose = flag(value)?,
            "Q" => self.quiet = flag(value)?,
            "Z" | "&F" => self.reset_settings(),
            "I" => {
                let imei = self.cfg.imei.clone();
                lines.extend(
                    self.cfg
                        .profile
                        .ati
                        .iter()
                        .map(|l| l.replace("{imei}", &imei)),
                );
            }
            "H" | "&W" | "&C" | "&D" | "&K" | "X" | "L" | "M" | "&V" => {}
            "A" | "D" => return Ok(Flow::Final("NO CARRIER")),
            _ => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// `Sn?` and `Sn=v` (V.250 §6.2): S3 and S5 change line assembly.
    pub(super) fn exec_sreg(
        &mut self,
        number: u16,
        set: Option<&str>,
        lines: &mut Vec<String>,
    ) -> Result<Flow, Fail> {
        match set {
            None => lines.push(format!(
                "{:03}",
                self.sregs.get(&number).copied().unwrap_or(0)
            )),
            Some(v) => {
                let v: u8 = v.parse().map_err(|_| Fail::Plain)?;
                match number {
                    3 => self.line.s3 = v,
                    5 => self.line.s5 = v,
                    _ => {}
                }
                self.sregs.insert(number, v);
            }
        }
        Ok(Flow::Next)
    }

    /// Whether SIM-dependent commands may run: the CME error otherwise.
    pub(super) fn sim_cme(&self) -> Result<(), Fail> {
        match self.sim {
            Sim::Ready => Ok(()),
            Sim::Busy => Err(Fail::Cme(14)),
            Sim::PinLocked(_) => Err(Fail::Cme(11)),
            Sim::PukLocked => Err(Fail::Cme(12)),
        }
    }

    /// Extended commands that are not SMS commands. Unknown ones are `ERROR`.
    pub(super) fn exec_general(
        &mut self,
        name: &str,
        form: &Form,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Result<Flow, Fail> {
        let p = self.cfg.profile.clone();
        let test = matches!(form, Form::Test);
        match name {
            "+CGMI" | "+GMI" if !test => lines.push(p.manufacturer.into()),
            "+CGMM" | "+GMM" if !test => lines.push(p.model.into()),
            "+CGMR" | "+GMR" if !test => lines.push(p.revision.into()),
            "+CGSN" | "+GSN" if !test => lines.push(self.cfg.imei.clone()),
            "+CGMI" | "+GMI" | "+CGMM" | "+GMM" | "+CGMR" | "+GMR" | "+CGSN" | "+GSN" => {}
            "+GCAP" => lines.push("+GCAP: +CGSM".into()),
            "+CIMI" => {
                self.sim_cme()?;
                if !test {
                    lines.push(self.cfg.imsi.clone());
                }
            }
            "+CNUM" => {
                self.sim_cme()?;
                if let (Some(n), false) = (&self.cfg.own_number, test) {
                    let ton = if n.starts_with('+') { 145 } else { 129 };
                    lines.push(format!("+CNUM: \"\",\"{n}\",{ton}"));
                }
            }
            n if p.iccid_commands.iter().any(|(c, _)| *c == n) => {
                if !test {
                    let prefix = p
                        .iccid_commands
                        .iter()
                        .find(|(c, _)| *c == n)
                        .map_or("", |(_, pre)| *pre);
                    lines.push(format!("{prefix}{}", self.cfg.iccid));
                }
            }
            "+CMEE" => match form {
                Form::Set(a) => {
                    self.cmee = match num_arg(a, 0) {
                        Some(v @ 0..=2) => v as u8,
                        _ => return Err(Fail::Cme(50)),
                    }
                }
                Form::Read => lines.push(format!("+CMEE: {}", self.cmee)),
                Form::Test => lines.push("+CMEE: (0-2)".into()),
                Form::Action => self.cmee = 0,
            },
            "+CSCS" => match form {
                Form::Set(a) => {
                    let cs = text_arg(a, 0).unwrap_or_default().to_ascii_uppercase();
                    if !["GSM", "IRA", "UCS2", "HEX", "PCCP437", "8859-1"].contains(&cs.as_str()) {
                        return Err(Fail::Cme(4));
                    }
                    self.cscs = cs;
                }
                Form::Read => lines.push(format!("+CSCS: \"{}\"", self.cscs)),
                Form::Test => lines.push("+CSCS: (\"GSM\",\"IRA\",\"UCS2\",\"HEX\")".into()),
                Form::Action => return Err(Fail::Plain),
            },
            "+CPIN" => return self.cpin(form, lines, out),
            "+CFUN" => return self.cfun(form, lines, out),
            "+CREG" => return self.reg_cmd(0, form, lines),
            "+CGREG" => return self.reg_cmd(1, form, lines),
            "+CEREG" if p.has_cereg => return self.reg_cmd(2, form, lines),
            "+CSQ" => {
                if test {
                    lines.push("+CSQ: (0-31,99),(0-7,99)".into());
                } else if self.registered_now() {
                    lines.push(format!("+CSQ: {},99", self.cfg.rssi));
                } else {
                    lines.push("+CSQ: 99,99".into());
                }
            }
            "+COPS" => match form {
                Form::Read if self.registered_now() => {
                    lines.push(format!("+COPS: 0,0,\"{}\",{}", self.cfg.operator, p.act))
                }
                Form::Read => lines.push("+COPS: 0".into()),
                Form::Test => lines.push(format!(
                    "+COPS: (2,\"{op}\",\"{op}\",\"00101\",{act}),,(0-4),(0-2)",
                    op = self.cfg.operator,
                    act = p.act
                )),
                Form::Set(a) => match num_arg(a, 0) {
                    Some(0..=4) => {}
                    _ => return Err(Fail::Cme(50)),
                },
                Form::Action => return Err(Fail::Plain),
            },
            // TS 27.007 §10.1.9 packet domain attach: attached while registered. Tools that
            // show network information (gammu) read it along with +CREG/+CGREG.
            "+CGATT" => match form {
                Form::Read => lines.push(format!("+CGATT: {}", u8::from(self.registered_now()))),
                Form::Test => lines.push("+CGATT: (0,1)".into()),
                Form::Set(a) => match num_arg(a, 0) {
                    Some(0 | 1) => {}
                    _ => return Err(Fail::Cme(50)),
                },
                Form::Action => return Err(Fail::Plain),
            },
            "+CUSD" => return self.cusd(form, lines, out),
            "^CURC" if p.vendor_noise => match form {
                Form::Set(a) => self.curc = num_arg(a, 0).is_some_and(|v| v != 0),
                Form::Read => lines.push(format!("^CURC: {}", u8::from(self.curc))),
                Form::Test => lines.push("^CURC: (0-1)".into()),
                Form::Action => return Err(Fail::Plain),
            },
            // Kept across power cycles: the stick stores it.
            "^PORTSEL" if p.portsel => match form {
                Form::Set(a) => match num_arg(a, 0) {
                    Some(v @ 0..=1) => self.portsel = v as u8,
                    _ => return Err(Fail::Cme(50)),
                },
                Form::Read => lines.push(format!("^PORTSEL: {}", self.portsel)),
                Form::Test => lines.push("^PORTSEL: (0-1)".into()),
                Form::Action => return Err(Fail::Plain),
            },
            // TS 27.007 §8.4: <bcs> 0 (powered by the battery), <bcl> percent, and the
            // millivolts SIMCom and Quectel add.
            "+CBC" if p.has_cbc => match form {
                Form::Action => lines.push("+CBC: 0,87,4093".into()),
                Form::Test => lines.push("+CBC: (0-2),(1-100),(voltage)".into()),
                _ => return Err(Fail::Plain),
            },
            // TS 27.007 §7.6 calling line identification: <n> as set, <m> 1 (provisioned).
            "+CLIP" => match form {
                Form::Set(a) => match num_arg(a, 0) {
                    Some(v @ 0..=1) => self.clip = v as u8,
                    _ => return Err(Fail::Cme(50)),
                },
                Form::Read => lines.push(format!("+CLIP: {},1", self.clip)),
                Form::Test => lines.push("+CLIP: (0-1)".into()),
                Form::Action => return Err(Fail::Plain),
            },
            // TS 27.007 §8.11 phonebook storage: the SIM's, empty.
            "+CPBS" => {
                const BOOKS: [&str; 7] = ["SM", "ME", "FD", "ON", "LD", "MC", "RC"];
                match form {
                    Form::Test => {
                        let v: Vec<String> = BOOKS.iter().map(|b| format!("\"{b}\"")).collect();
                        lines.push(format!("+CPBS: ({})", v.join(",")));
                    }
                    Form::Read => {
                        self.sim_cme()?;
                        let total = if self.cpbs == "SM" { 250 } else { 100 };
                        lines.push(format!("+CPBS: \"{}\",0,{total}", self.cpbs));
                    }
                    Form::Set(a) => {
                        self.sim_cme()?;
                        let book = text_arg(a, 0).unwrap_or_default().to_ascii_uppercase();
                        if !BOOKS.contains(&book.as_str()) {
                            return Err(Fail::Cme(3));
                        }
                        self.cpbs = book;
                    }
                    Form::Action => return Err(Fail::Plain),
                }
            }
            _ => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// `+CPIN` (TS 27.007 §8.3): state, PIN entry, PUK with new PIN; wrong PIN is CME 16, and
    /// three wrong PINs lock the SIM until the PUK.
    fn cpin(
        &mut self,
        form: &Form,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Result<Flow, Fail> {
        match form {
            Form::Read => lines.push(
                match self.sim {
                    Sim::Ready => "+CPIN: READY",
                    Sim::Busy => return Err(Fail::Cme(14)),
                    Sim::PinLocked(_) => "+CPIN: SIM PIN",
                    Sim::PukLocked => "+CPIN: SIM PUK",
                }
                .into(),
            ),
            Form::Test => {}
            Form::Action => return Err(Fail::Plain),
            Form::Set(a) => {
                let code = text_arg(a, 0).unwrap_or_default();
                match self.sim {
                    Sim::Ready | Sim::Busy => return Err(Fail::Cme(3)),
                    Sim::PinLocked(tries) => {
                        if Some(&code) == self.cfg.pin.as_ref() {
                            self.unlock(out);
                        } else {
                            self.sim = if tries >= 2 {
                                Sim::PukLocked
                            } else {
                                Sim::PinLocked(tries + 1)
                            };
                            return Err(Fail::Cme(16));
                        }
                    }
                    Sim::PukLocked => {
                        let new_pin = text_arg(a, 1);
                        match new_pin {
                            Some(pin) if code == self.cfg.puk => {
                                self.cfg.pin = Some(pin);
                                self.unlock(out);
                            }
                            _ => return Err(Fail::Cme(16)),
                        }
                    }
                }
            }
        }
        Ok(Flow::Next)
    }

    /// The right PIN: the SIM reads its files for a moment (busy), then is ready.
    fn unlock(&mut self, out: &mut Output) {
        self.sim = Sim::Busy;
        let delay = self.cfg.sim_busy;
        self.timer(out, delay, Timer::SimReady);
    }

    /// The SIM is ready: print the profile's URCs and start registering.
    pub(super) fn sim_ready(&mut self, announce: bool, out: &mut Output) {
        if self.sim != Sim::Busy {
            return;
        }
        self.sim = Sim::Ready;
        if announce {
            for urc in self.cfg.profile.sim_ready_urcs {
                self.urc(out, &[urc.to_string()]);
            }
        }
        self.start_registration(out);
    }

    /// Begin searching for the network if the radio is on and the SIM is ready.
    pub(super) fn start_registration(&mut self, out: &mut Output) {
        if self.cfun == 1 && self.sim == Sim::Ready && self.reg_stat != 1 {
            self.set_reg(2, out);
            let delay = self.cfg.registration_delay;
            self.timer(out, delay, Timer::Registered);
        }
    }

    /// `+CFUN` (TS 27.007 §8.2): 0/4 radio off, 1 on; `1,1` resets the module.
    fn cfun(
        &mut self,
        form: &Form,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Result<Flow, Fail> {
        match form {
            Form::Read => lines.push(format!("+CFUN: {}", self.cfun)),
            Form::Test => lines.push("+CFUN: (0,1,4),(0,1)".into()),
            Form::Action => return Err(Fail::Plain),
            Form::Set(a) => {
                let fun = num_arg(a, 0).ok_or(Fail::Cme(50))?;
                let reset = num_arg(a, 1) == Some(1);
                if reset {
                    // The OK goes out before the module reboots.
                    self.executing = false;
                    self.final_text(out, "OK", 0);
                    if self.cfg.profile.reset_reenumerates {
                        out.reenumerate = Some(self.cfg.reset_gone);
                    }
                    self.power_on(true, out);
                    return Ok(Flow::Silent);
                }
                match fun {
                    1 => {
                        self.cfun = 1;
                        self.start_registration(out);
                    }
                    0 | 4 => {
                        self.cfun = fun as u8;
                        self.set_reg(0, out);
                    }
                    _ => return Err(Fail::Cme(50)),
                }
            }
        }
        Ok(Flow::Next)
    }

    /// `+CREG`/`+CGREG`/`+CEREG` n and read forms; `which` is 0, 1, 2.
    fn reg_cmd(
        &mut self,
        which: usize,
        form: &Form,
        lines: &mut Vec<String>,
    ) -> Result<Flow, Fail> {
        let prefix = ["+CREG", "+CGREG", "+CEREG"][which];
        match form {
            Form::Set(a) => match num_arg(a, 0) {
                Some(n @ 0..=2) => self.reg_n[which] = n as u8,
                _ => return Err(Fail::Cme(50)),
            },
            Form::Read => {
                let n = self.reg_n[which];
                let loc = if n == 2 && self.registered_now() {
                    self.location(which)
                } else {
                    String::new()
                };
                lines.push(format!("{prefix}: {n},{}{loc}", self.reg_stat));
            }
            Form::Test => lines.push(format!("{prefix}: (0-2)")),
            Form::Action => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// `,"<lac>","<ci>"[,<act>]` of the registration answers.
    fn location(&self, which: usize) -> String {
        if which == 2 || self.cfg.profile.act == 7 {
            format!(",\"1A2B\",\"01C3D4E5\",{}", self.cfg.profile.act)
        } else {
            ",\"1A2B\",\"3C4D\"".to_owned()
        }
    }

    /// Whether the modem is registered (home) right now.
    pub(super) fn registered_now(&self) -> bool {
        self.reg_stat == 1 || self.reg_stat == 5
    }

    /// Change the registration state and announce it where enabled.
    pub(super) fn set_reg(&mut self, stat: u8, out: &mut Output) {
        if self.reg_stat == stat {
            return;
        }
        self.reg_stat = stat;
        for which in 0..3 {
            if which == 2 && !self.cfg.profile.has_cereg {
                continue;
            }
            let prefix = ["+CREG", "+CGREG", "+CEREG"][which];
            match self.reg_n[which] {
                1 => self.urc(out, &[format!("{prefix}: {stat}")]),
                2 if self.registered_now() => {
                    let loc = self.location(which);
                    self.urc(out, &[format!("{prefix}: {stat}{loc}")]);
                }
                2 => self.urc(out, &[format!("{prefix}: {stat}")]),
                _ => {}
            }
        }
    }

    /// Registration completes; messages the network held are delivered.
    pub(super) fn registered(&mut self, out: &mut Output) {
        if self.cfun == 1 && self.sim == Sim::Ready {
            self.set_reg(1, out);
            self.flush_network(out);
        }
    }

    /// Huawei's periodic noise while `^CURC=1`.
    pub(super) fn noise(&mut self, out: &mut Output) {
        if self.curc {
            let rssi = if self.registered_now() {
                self.cfg.rssi
            } else {
                99
            };
            self.urc(out, &[format!("^RSSI: {rssi}")]);
            self.urc(out, &["^HCSQ: \"LTE\",50,41,131,28".to_owned()]);
            self.urc(out, &["^MODE: 7,9".to_owned()]);
        }
        let every = self.cfg.noise_interval;
        self.timer(out, every, Timer::Noise);
    }

    /// `+CUSD` (TS 27.007 §7.15): a request is answered later by a `+CUSD:` URC.
    fn cusd(
        &mut self,
        form: &Form,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Result<Flow, Fail> {
        match form {
            Form::Read => lines.push(format!("+CUSD: {}", self.cusd)),
            Form::Test => lines.push("+CUSD: (0-2)".into()),
            Form::Action => return Err(Fail::Plain),
            Form::Set(a) => {
                let n = num_arg(a, 0).unwrap_or(0);
                if n > 2 {
                    return Err(Fail::Cme(50));
                }
                if n != 2 {
                    self.cusd = n as u8;
                }
                if text_arg(a, 1).is_some() {
                    if !self.registered_now() {
                        return Err(Fail::Cme(30));
                    }
                    let delay = self.cfg.send_delay;
                    self.timer(out, delay, Timer::UssdReply);
                }
            }
        }
        Ok(Flow::Next)
    }

    /// The network's USSD answer.
    pub(super) fn ussd_reply(&mut self, out: &mut Output) {
        let text = self.cfg.ussd_reply.clone();
        self.urc(out, &[format!("+CUSD: 0,\"{text}\",15")]);
    }
}
