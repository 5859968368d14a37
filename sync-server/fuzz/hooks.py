# Schemathesis hooks for sync-server/fuzz/run.sh. Bodies of the bulk upload's media type
# (application/vnd.larder.docs: document frames, see core/src/bulk_wire.rs) are not something
# schemathesis can build from a schema, so they are drawn here: arbitrary bytes, and sequences
# of well-formed-looking frames (known and unknown kinds, odd ids, bodies that are not
# automerge documents), so the upload route is fuzzed past its frame decoder too.
from hypothesis import strategies as st

import schemathesis


def frame(kind: int, doc_id: bytes, body: bytes) -> bytes:
    return bytes([kind, len(doc_id)]) + doc_id + len(body).to_bytes(4, "big") + body


frames = st.lists(
    st.builds(
        frame,
        st.sampled_from([0, 0, 0, 1, 7]),
        st.binary(min_size=1, max_size=64),
        st.binary(max_size=512),
    ),
    max_size=6,
).map(b"".join)

schemathesis.openapi.media_type(
    "application/vnd.larder.docs", st.one_of(st.binary(max_size=2048), frames)
)
