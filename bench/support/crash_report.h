#pragma once
// A benchmark that crashes on a GPU box (a lease of minutes, no debugger there) says where, on
// stderr: the signal and the address it faulted on, the instruction it was at, and the word on top
// of the stack, which is the return address when a call went to a bad address (a call through a
// null pointer leaves the unwinder at address 0, so the stack below names nothing: the return
// address names the caller). Then the stack as far as it unwinds. Each address is printed as
// binary(symbol+offset) [address], for addr2line. The process then exits with 128 + the signal.

namespace vltune::bench {

// For SIGSEGV, SIGBUS, SIGILL and SIGFPE; `program` (kept, not copied) starts each line it writes.
void install_crash_report(const char* program);

}  // namespace vltune::bench
