#include "bench/support/crash_report.h"

#include <execinfo.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace vltune::bench {
namespace {

const char* g_program = "vltune";

// Only write(2) inside the handler: printf and friends may allocate or take locks.
void put(const char* text) {
  const ssize_t unused = ::write(2, text, std::strlen(text));
  (void)unused;
}

void put_number(uintptr_t value, unsigned base) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value != 0 && n < 24);
  char text[28];
  int at = 0;
  if (base == 16) {
    text[at++] = '0';
    text[at++] = 'x';
  }
  while (n > 0) text[at++] = digits[--n];
  text[at] = '\0';
  put(text);
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "signal";
  }
}

void on_crash(int signal, siginfo_t* info, void* context) {
  put(g_program);
  put(": ");
  put(signal_name(signal));
  put(" (");
  put_number(static_cast<uintptr_t>(signal), 10);
  put(") at address ");
  put_number(reinterpret_cast<uintptr_t>(info->si_addr), 16);
  put("\n");
  void* where[2] = {nullptr, nullptr};
  const auto* uc = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  where[0] = reinterpret_cast<void*>(uc->uc_mcontext.gregs[REG_RIP]);
  where[1] = *reinterpret_cast<void* const*>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  where[0] = reinterpret_cast<void*>(uc->uc_mcontext.pc);
  where[1] = reinterpret_cast<void*>(uc->uc_mcontext.regs[30]);  // the link register
#else
  (void)uc;
#endif
  if (where[0] != nullptr || where[1] != nullptr) {
    put(g_program);
    put(": the instruction, then the return address a call left (the caller, if the call went astray):\n");
    backtrace_symbols_fd(where, 2, 2);
  }
  put(g_program);
  put(": the stack:\n");
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
  _exit(128 + signal);
}

}  // namespace

void install_crash_report(const char* program) {
  g_program = program;
  // backtrace() loads the unwinder at its first call, which allocates: not in the handler.
  void* warm[1];
  backtrace(warm, 1);
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = on_crash;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND;  // a second fault in the handler ends the process
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) sigaction(signal, &action, nullptr);
}

}  // namespace vltune::bench
