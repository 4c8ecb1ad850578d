//! Compile tests of the guard attributes (trybuild).
//!
//! `ui/fail` and `ui/pass` only show our own messages and code that must build, so they run on
//! every toolchain. `ui/rustc` records rustc's own type-check output, which changes between
//! releases, so it runs only on the toolchain it was recorded with.
//!
//! Refresh the `.stderr` files with `TRYBUILD=overwrite cargo test -p bustjwt-macros --test ui`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

#[test]
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "rustc's diagnostics were recorded on rustc 1.95"
)]
fn ui_rustc() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/rustc/*.rs");
}
