#pragma once
// Running vltune-cli from a test: its exit code and both output streams.

#include <QProcess>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <string>

namespace vltune::test {

struct CliRun {
  int code = -1;  // -1: did not start or finish in time; -2: crashed
  std::string out;
  std::string err;
};

// `program` with `args` in `cwd` (empty: the test's), `input` on its stdin (then closed).
inline CliRun run_program(const QString& program, const QStringList& args, const std::filesystem::path& cwd = {},
                          const std::string& input = {}, int timeout_ms = 240000) {
  QProcess process;
  if (!cwd.empty()) process.setWorkingDirectory(QString::fromStdString(cwd.string()));
  process.start(program, args);
  CliRun r;
  if (!process.waitForStarted(10000)) return r;
  if (!input.empty()) process.write(input.data(), static_cast<qint64>(input.size()));
  process.closeWriteChannel();
  if (!process.waitForFinished(timeout_ms)) {
    process.kill();
    process.waitForFinished(5000);
    return r;
  }
  r.code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
  r.out = process.readAllStandardOutput().toStdString();
  r.err = process.readAllStandardError().toStdString();
  return r;
}

}  // namespace vltune::test
