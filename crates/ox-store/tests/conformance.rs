//! The shared conformance suite, run against every backend.

mod common;

mod mem {
    ox_store::conformance_tests!(super::common::Mem);
}

mod sqlite {
    ox_store::conformance_tests!(super::common::Sqlite);
}

mod pg {
    ox_store::conformance_tests!(super::common::Pg);
}
