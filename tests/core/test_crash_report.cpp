// The benchmarks' crash report (bench/support/crash_report.h): a child process that calls through
// a null function pointer must say which signal, and name the function that made the call, which
// the stack's own unwinding can't (it stops at address 0).
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <QtTest>

#include "bench/support/crash_report.h"

// Exported (the test is linked with ENABLE_EXPORTS), so backtrace_symbols_fd can name it.
extern "C" __attribute__((noinline)) void vltune_test_calls_null() {
  void (*volatile target)() = nullptr;
  target();
  asm volatile("");  // the call is not the function's last act: a return address inside it
}

namespace {

struct Outcome {
  int status = -1;   // waitpid's
  std::string text;  // what the child wrote on stderr
};

// Runs `body` in a child with stderr into a pipe.
template <class Body>
Outcome in_child(Body body) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    body();
    ::_exit(0);
  }
  ::close(fds[1]);
  Outcome out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out.text.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  ::waitpid(pid, &out.status, 0);
  return out;
}

}  // namespace

class TestCrashReport : public QObject {
  Q_OBJECT

 private slots:
  void namesTheCallerOfANullPointer() {
    const Outcome out = in_child([] {
      vltune::bench::install_crash_report("crash-child");
      vltune_test_calls_null();
    });
    QVERIFY2(WIFEXITED(out.status), out.text.c_str());
    QCOMPARE(WEXITSTATUS(out.status), 128 + SIGSEGV);
    QVERIFY2(out.text.find("crash-child: SIGSEGV (11) at address 0x0\n") != std::string::npos, out.text.c_str());
#if defined(__x86_64__) || defined(__aarch64__)
    // The return address, right after the instruction's line.
    const size_t after = out.text.find("the caller, if the call went astray):\n");
    QVERIFY2(after != std::string::npos, out.text.c_str());
    const size_t stack = out.text.find("crash-child: the stack:", after);
    QVERIFY2(stack != std::string::npos, out.text.c_str());
    const std::string two_lines = out.text.substr(after, stack - after);
    QVERIFY2(two_lines.find("(vltune_test_calls_null+0x") != std::string::npos, out.text.c_str());
#endif
  }

  void aCleanRunSaysNothing() {
    const Outcome out = in_child([] { vltune::bench::install_crash_report("crash-child"); });
    QVERIFY(WIFEXITED(out.status));
    QCOMPARE(WEXITSTATUS(out.status), 0);
    QCOMPARE(out.text, std::string());
  }
};

QTEST_APPLESS_MAIN(TestCrashReport)
#include "test_crash_report.moc"
