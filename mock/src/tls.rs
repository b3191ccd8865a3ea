//! Certificates (generated with rcgen at every start) and the rustls server configuration
//! (ring provider only).

use std::io;
use std::str::FromStr;
use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

use crate::util;

/// Which leaf certificate the HTTPS listener presents. The CA written to `ca.pem` is the
/// same in every flavour, so only `Normal` verifies against it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsFlavor {
    /// Signed by the written CA, SANs `127.0.0.1` and `localhost`, currently valid.
    #[default]
    Normal,
    /// Signed by the written CA, right names, but expired (valid until two days ago).
    Expired,
    /// Signed by the written CA, currently valid, but its only SAN is `wrong.example`.
    WrongHost,
    /// Right names and dates but self-signed: not issued by the written CA.
    SelfSigned,
}

impl FromStr for TlsFlavor {
    type Err = String;

    /// Parses the CLI spelling: `normal`, `expired`, `wrong-host`, `self-signed`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "normal" => Ok(TlsFlavor::Normal),
            "expired" => Ok(TlsFlavor::Expired),
            "wrong-host" => Ok(TlsFlavor::WrongHost),
            "self-signed" => Ok(TlsFlavor::SelfSigned),
            other => Err(format!(
                "unknown TLS flavor '{other}' (normal, expired, wrong-host, self-signed)"
            )),
        }
    }
}

/// What the HTTPS listener needs, plus the CA to publish.
pub(crate) struct TlsMaterial {
    pub server_config: Arc<ServerConfig>,
    /// PEM of the throw-away CA (written to `ca.pem`).
    pub ca_pem: String,
}

fn tls_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("TLS setup: {e}"))
}

/// The UTC date `offset_days` from today, as rcgen wants it.
fn day(offset_days: i64) -> (i32, u8, u8) {
    util::civil_from_days(util::now_unix().div_euclid(86_400) + offset_days)
}

/// Sets a certificate's validity to `[from, until]` days relative to today.
fn set_validity(params: &mut CertificateParams, from: i64, until: i64) {
    let (y, m, d) = day(from);
    params.not_before = date_time_ymd(y, m, d);
    let (y, m, d) = day(until);
    params.not_after = date_time_ymd(y, m, d);
}

/// Generates a CA and a leaf of the given flavour; builds the rustls server config.
pub(crate) fn generate(flavor: TlsFlavor) -> io::Result<TlsMaterial> {
    // The CA.
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "lfm-mock throw-away CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut ca_params, -1, 3650);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    // The leaf.
    let names: Vec<String> = match flavor {
        TlsFlavor::WrongHost => vec!["wrong.example".into()],
        _ => vec!["127.0.0.1".into(), "localhost".into()],
    };
    let leaf_key = KeyPair::generate().map_err(tls_err)?;
    let mut leaf = CertificateParams::new(names).map_err(tls_err)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "lfm-mock server");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.use_authority_key_identifier_extension = flavor != TlsFlavor::SelfSigned;
    if flavor == TlsFlavor::Expired {
        set_validity(&mut leaf, -400, -2);
    } else {
        set_validity(&mut leaf, -1, 365);
    }
    let leaf_cert = if flavor == TlsFlavor::SelfSigned {
        leaf.self_signed(&leaf_key)
    } else {
        leaf.signed_by(&leaf_key, &issuer)
    }
    .map_err(tls_err)?;

    let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)?;
    Ok(TlsMaterial {
        server_config: Arc::new(server_config),
        ca_pem: ca_cert.pem(),
    })
}
