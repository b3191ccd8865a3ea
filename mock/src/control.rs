//! The control plane: `mock.*` methods (unsigned, no `api_key`, GET or POST), so that any
//! client, a C program using liblfm included, can drive the mock through the API itself.
//! The methods and their replies are listed in the crate documentation.

use serde_json::{json, Value};

use crate::api::ApiError;
use crate::faults::Fault;
use crate::form::Params;
use crate::http::Response;
use crate::server::Shared;
use crate::MOCK_USERNAME;

/// Answers one `mock.*` request.
pub(crate) fn handle(shared: &Shared, method: &str, p: &Params) -> Response {
    match run(shared, method, p) {
        Ok(v) => Response::json(200, &v),
        Err(e) => e.into_response(),
    }
}

fn run(shared: &Shared, method: &str, p: &Params) -> Result<Value, ApiError> {
    let ok = json!({"ok": 1});
    let token = || {
        p.non_empty("token")
            .ok_or_else(|| ApiError::invalid("Invalid parameters - token is required"))
    };
    let unknown_token = || ApiError::invalid("Invalid parameters - unknown token");
    let mut st = shared.state();
    match method {
        "mock.fault" => {
            let (fault, count) = Fault::from_params(p).map_err(ApiError::invalid)?;
            let method = p.non_empty("method_name").map(str::to_string);
            st.push_fault(fault, count, method);
            Ok(ok)
        }
        "mock.stats" => Ok(st.stats.to_json()),
        "mock.scrobbles" => Ok(json!({
            "scrobbles": st.scrobbles.iter().map(|s| s.to_json()).collect::<Vec<_>>()
        })),
        "mock.nowPlaying" => Ok(st.now_playing.clone().unwrap_or_else(|| json!({}))),
        "mock.approveToken" => {
            if st.approve_token(token()?, MOCK_USERNAME) {
                Ok(ok)
            } else {
                Err(unknown_token())
            }
        }
        "mock.expireToken" => {
            if st.expire_token(token()?) {
                Ok(ok)
            } else {
                Err(unknown_token())
            }
        }
        "mock.revokeSessions" => {
            let revoked = match p.non_empty("sk") {
                Some(sk) => usize::from(st.sessions.remove(sk).is_some()),
                None => {
                    let n = st.sessions.len();
                    st.sessions.clear();
                    n
                }
            };
            Ok(json!({"ok": 1, "revoked": revoked}))
        }
        "mock.reset" => {
            st.reset();
            Ok(ok)
        }
        "mock.lastRequest" => Ok(st.last_request.clone().unwrap_or_else(|| json!({}))),
        _ => crate::reads::control(&mut st, method, p).unwrap_or_else(|| Err(ApiError::new(3))),
    }
}
