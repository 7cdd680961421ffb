// The GUI thread's latency while a model trains: the demo project (core/demo) trained by the
// TrainController, as the desktop app runs it, with a 20 ms timer on the GUI thread; prints the
// percentiles of the delay between when each tick was due and when it ran. Goal (issue 9): p99
// under 100 ms. A figure, not a test: the test only bounds the worst stall.
//
//   vltune-bench-event-loop [--epochs N] [--threads all|reserve]
//     reserve (default): LibTorch gets cores - 1 threads, as the app sets; all: every core.

// LibTorch before Qt: Qt's `slots` macro would break its headers.
#include <ATen/Parallel.h>

#include "app/application.h"
#include "app/train_controller.h"
#include "core/demo/demo_project.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>


int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int epochs = 10;
    bool reserve = true;
    const QStringList args = QCoreApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--epochs") && i + 1 < args.size())
            epochs = args[++i].toInt();
        else if (args[i] == QLatin1String("--threads") && i + 1 < args.size())
            reserve = args[++i] != QLatin1String("all");
        else {
            std::fprintf(stderr, "usage: vltune-bench-event-loop [--epochs N] [--threads all|reserve]\n");
            return 2;
        }
    }
    if (reserve)
        vltune::reserveCoreForGui();

    QTemporaryDir dir;
    const auto project = vltune::demo::make_demo_project(dir.path().toStdString());
    QString yaml = QString::fromStdString(project.train_yaml.string());
    QFile file(yaml);
    file.open(QIODevice::ReadOnly);
    QString text = QString::fromUtf8(file.readAll());
    text.replace(QRegularExpression(QStringLiteral("num_train_epochs: [0-9.]+")),
                 QStringLiteral("num_train_epochs: %1.0").arg(epochs));

    constexpr int kIntervalMs = 20;
    std::vector<double> delays;
    QElapsedTimer clock;
    qint64 due = 0;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(kIntervalMs);
    QObject::connect(&timer, &QTimer::timeout, &app, [&] {
        const qint64 now = clock.elapsed();
        delays.push_back(static_cast<double>(std::max<qint64>(0, now - due)));
        due = now + kIntervalMs;
    });
    vltune::TrainController controller;
    QObject::connect(&controller, &vltune::TrainController::failed, &app, [&](const QString &message) {
        std::fprintf(stderr, "training failed: %s\n", qPrintable(message));
        app.exit(1);
    });
    QObject::connect(&controller, &vltune::TrainController::finished, &app,
                     [&](const QString &, qint64 steps, qint64, double) {
                         timer.stop();
                         std::sort(delays.begin(), delays.end());
                         const auto pct = [&](double p) {
                             return delays.empty() ? 0.0 : delays[std::min(delays.size() - 1, size_t(p * delays.size()))];
                         };
                         std::printf("{\"threads\": %d, \"steps\": %lld, \"seconds\": %.1f, \"ticks\": %zu, "
                                     "\"delay_ms\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"max\": %.1f}}\n",
                                     at::get_num_threads(), static_cast<long long>(steps), clock.elapsed() / 1000.0,
                                     delays.size(), pct(0.5), pct(0.9), pct(0.99), delays.empty() ? 0.0 : delays.back());
                         app.exit(0);
                     });
    vltune::TrainController::Options options;
    options.device = QStringLiteral("cpu");
    clock.start();
    due = kIntervalMs;
    timer.start();
    controller.start(text, yaml, options);
    return QCoreApplication::exec();
}
