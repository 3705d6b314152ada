"""The app's trainer against a plain `model.fit`, in one process, on the same model and data.

Prints, for the course MNIST CNN on the embedded MNIST sample (or --dataset/--model):
- plain fit: `model.fit(x / 255, y, batch_size, epochs, validation_data)` with no callback;
- the app's trainer: `cnnviz.training.train` with a live-progress callback (what the Train page
  runs), its ratio to plain fit (target ≤ 1.05), updates a second and the first curve point;
- the time until the test accuracy first reaches 97 % with the app's default recipe (target
  ≤ 10 s on 2 cores), measured after every epoch with the scoring time left out;
- the same training through a worker process (`cnnviz.workers`, the app's path): its training
  time against the trainer's in this process, and the first curve point with the spare started
  and from a cold start (the worker imports Keras);
- the process's resident memory over ten small trainings in a row.
The two fits alternate, each run starting from the same seeded weights; medians are reported.
No timing is asserted: machines differ; the ratio is what to compare.

    python bench/train_speed.py                       # CPU, the defaults above
    KERAS_BACKEND=jax python bench/train_speed.py --dataset fashion_mnist --batch-size 256 \
        --epochs 3 --skip-target --skip-memory        # the GPU run in the issue
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from cnnviz import batches, data, jobs, models, patches, recipes, training, workers  # noqa: E402
from cnnviz.architectures import ARCHITECTURES  # noqa: E402


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    return psutil.Process().memory_info().rss / 1e6


def compiled(model: keras.Model, config: training.TrainConfig, spe: int) -> keras.Model:
    model.compile(
        optimizer=recipes.make_optimizer(config),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=spe,
    )
    return model


def steady_epoch(epoch_ends: list[float]) -> float:
    """Median seconds between epoch ends after the first epoch (which also compiles the step);
    NaN with fewer than two epochs."""
    gaps = [b - a for a, b in zip(epoch_ends, epoch_ends[1:], strict=False)]
    return statistics.median(gaps) if gaps else float("nan")


def plain_fit(
    dataset, architecture, config, train_rows, validation_rows, spe: int
) -> tuple[float, float, float]:
    """Wall and CPU seconds of the course's plain `model.fit`, on the same rows as the trainer,
    and its steady epoch (seconds an epoch after the first)."""
    model = compiled(
        models.build(architecture, dataset.input_shape, dataset.num_classes, config.seed),
        config,
        spe,
    )
    x = dataset.x_train.astype("float32") / 255.0
    validation = (x[validation_rows], dataset.y_train[validation_rows])
    x_train, y_train = x[train_rows], dataset.y_train[train_rows]
    epoch_ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: epoch_ends.append(time.perf_counter())
    )
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(
        x_train,
        y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=validation if len(validation_rows) else None,
        callbacks=[timer],
        verbose=0,
    )
    return time.perf_counter() - start, time.process_time() - cpu, steady_epoch(epoch_ends)


@dataclass
class AppRun:
    """One run of the app's trainer."""

    wall: float  # its fit, as `TrainResult.seconds`
    cpu: float  # from the call to the last report
    updates: int
    first: float  # delay of the first curve point after the call
    epoch: float  # steady epoch: seconds an epoch after the first
    test_accuracy: float


def app_fit(dataset, architecture, config) -> AppRun:
    """The app's `train` (its fit): wall and CPU seconds, updates, the first one's delay, the
    steady epoch and the test accuracy.

    CPU time runs from the call to the last report (the last epoch's end), so scoring the test
    set afterwards is left out as in the plain fit."""
    model = models.build(architecture, dataset.input_shape, dataset.num_classes, config.seed)
    updates: list[float] = []
    cpu_at_report: list[float] = []
    epoch_ends: list[float] = []

    def on_progress(progress: training.Progress) -> None:
        updates.append(time.perf_counter())
        cpu_at_report.append(time.process_time())
        if progress.kind == "epoch":
            epoch_ends.append(updates[-1])

    start, cpu = time.perf_counter(), time.process_time()
    result = training.train(model, dataset, config, on_progress)
    return AppRun(
        wall=result.seconds,
        cpu=cpu_at_report[-1] - cpu,
        updates=len(updates),
        first=(updates[0] - start) if updates else float("nan"),
        epoch=steady_epoch(epoch_ends),
        test_accuracy=result.test_accuracy,
    )


def worker_fit(dataset, architecture, config, pool) -> tuple[float, float, float]:
    """The app's path, a training in a worker process: (seconds from the call to the result with
    the model back here, the training's own seconds, delay of the first curve point)."""
    build = partial(
        models.build, architecture, dataset.input_shape, dataset.num_classes, config.seed
    )
    updates: list[float] = []
    start = time.perf_counter()
    result = pool.train(
        build, dataset, config, lambda progress: updates.append(time.perf_counter())
    )
    return time.perf_counter() - start, result.seconds, updates[0] - start


def time_to_accuracy(dataset, architecture, config, target: float) -> list[tuple[float, float]]:
    """(training seconds, test accuracy) after each epoch of the app's trainer, scoring excluded."""
    model = models.build(architecture, dataset.input_shape, dataset.num_classes, config.seed)
    x_test = dataset.x_test.astype("float32") / 255.0
    points: list[tuple[float, float]] = []
    scoring = [0.0]

    def on_progress(progress: training.Progress) -> None:
        if progress.kind != "epoch":
            return
        start = time.perf_counter()
        predicted = np.argmax(model.predict(x_test, batch_size=512, verbose=0), axis=1)
        points.append((progress.seconds - scoring[0], float(np.mean(predicted == dataset.y_test))))
        scoring[0] += time.perf_counter() - start

    training.train(model, dataset, config, on_progress)
    return points


def memory_over_trainings(dataset, name: str, count: int = 10) -> list[float]:
    """RSS (MB) after each of `count` small trainings of course model `name`, one after another,
    each a `TrainingJob` in this process, patched as a worker is (one epoch on 600 images)."""
    patches.skip_single_replica_all_reduce()
    sizes = []
    config = training.TrainConfig(epochs=1, batch_size=64, max_train_images=600)
    architecture = ARCHITECTURES[name]
    for seed in range(count):

        def build(seed: int = seed) -> keras.Model:
            return models.build(architecture, dataset.input_shape, dataset.num_classes, seed)

        job = jobs.TrainingJob(build, dataset, replace(config, seed=seed), run=training.train_built)
        job.start()
        job.wait()
        del job
        gc.collect()
        sizes.append(rss_mb())
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--model", default="mnist_cnn")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps-per-execution", type=int, default=None)
    parser.add_argument(
        "--on-device",
        choices=["auto", "yes", "no"],
        default="auto",
        help="keep the images on the accelerator (auto: on a GPU, as the app does)",
    )
    parser.add_argument("--skip-target", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument(
        "--batches-together",
        choices=["gpu", "always", "never"],
        default=batches.RUN_BATCHES_TOGETHER,
        help="JAX: run each steps_per_execution batches in one compiled call (a scan)",
    )
    args = parser.parse_args()
    batches.RUN_BATCHES_TOGETHER = args.batches_together

    dataset = data.load(args.dataset)
    architecture = ARCHITECTURES[args.model]
    config = training.TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        steps_per_execution=args.steps_per_execution,
        on_device={"auto": None, "yes": True, "no": False}[args.on_device],
    )
    spe = args.steps_per_execution or (32 if training.gpu_name() else 1)
    train_rows, validation_rows = batches.split(dataset, config)
    print(f"device: {training.device_description()}, keras {keras.__version__}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(
        f"{args.model} on {args.dataset}: {len(train_rows)} training images, "
        f"{len(validation_rows)} validation, batch {args.batch_size}, {args.epochs} epochs, "
        f"steps_per_execution {spe}, images on the accelerator: {args.on_device}, "
        f"batches together: {args.batches_together}"
    )

    # warm-up: the first fit in a process pays for tracing and thread pools
    plain_fit(dataset, architecture, config, train_rows[:512], [], spe)
    app_fit(dataset, architecture, training.TrainConfig(epochs=1, max_train_images=512))

    plain, plain_cpu, plain_epoch, runs = [], [], [], []
    for repeat in range(args.repeats):
        order = ("plain", "app") if repeat % 2 == 0 else ("app", "plain")
        for run in order:
            if run == "plain":
                wall, cpu, epoch = plain_fit(
                    dataset, architecture, config, train_rows, validation_rows, spe
                )
                plain.append(wall)
                plain_cpu.append(cpu)
                plain_epoch.append(epoch)
            else:
                runs.append(app_fit(dataset, architecture, config))
        print(
            f"  run {repeat + 1}: plain {plain[-1]:.2f} s ({plain_cpu[-1]:.1f} s CPU), "
            f"app {runs[-1].wall:.2f} s ({runs[-1].cpu:.1f} s CPU), "
            f"steady epoch plain {plain_epoch[-1]:.3f} s, app {runs[-1].epoch:.3f} s, "
            f"app test accuracy {runs[-1].test_accuracy:.2%}, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    app = [run.wall for run in runs]
    app_cpu = [run.cpu for run in runs]
    updates = [run.updates / run.wall for run in runs]
    first = [run.first for run in runs]
    plain_s, app_s = statistics.median(plain), statistics.median(app)
    print(
        f"plain model.fit      {plain_s:7.2f} s  ({plain_s / args.epochs:.3f} s an epoch; "
        f"{statistics.median(plain_epoch):.3f} s an epoch after the first)"
    )
    print(
        f"app trainer          {app_s:7.2f} s  ({app_s / args.epochs:.3f} s an epoch; "
        f"{statistics.median(run.epoch for run in runs):.3f} s an epoch after the first)"
    )
    print(f"app test accuracy    {statistics.median(run.test_accuracy for run in runs):7.2%}")
    print(f"ratio app / plain    {app_s / plain_s:7.3f}   median wall (target ≤ 1.05)")
    print(f"                     {min(app) / min(plain):7.3f}   fastest wall")
    print(
        f"                     {statistics.median(app_cpu) / statistics.median(plain_cpu):7.3f}"
        "   median CPU time of the process"
    )
    print(f"updates a second     {statistics.median(updates):7.1f}")
    print(f"first curve point    {statistics.median(first):7.2f} s after train() was called")

    if not args.skip_workers:
        pool = workers.WorkerPool()
        warm = []
        for _ in range(args.repeats):
            pool.wait_ready()  # as in class, where the spare has long been started
            warm.append(worker_fit(dataset, architecture, config, pool))
            print(
                "  in a worker process: {:.2f} s to the model, {:.2f} s training, "
                "first point {:.2f} s".format(*warm[-1]),
                flush=True,
            )
        pool.close()
        cold = worker_fit(dataset, architecture, config, workers.WorkerPool(spares=0))
        whole, trained, first_point = (
            statistics.median(values) for values in zip(*warm, strict=True)
        )
        print(
            f"in a worker process  {trained:7.2f} s  training; ratio to the app trainer here "
            f"{trained / app_s:.3f}; {whole:.2f} s from the call to the model back here"
        )
        print(
            f"first curve point    {first_point:7.2f} s with the spare started, "
            f"{cold[2]:.2f} s from a cold start (the worker imports Keras)"
        )

    if not args.skip_target:
        recipe = replace(recipes.RECIPES["quick"], epochs=4)
        points = time_to_accuracy(dataset, architecture, recipe, 0.97)
        for epoch, (seconds, accuracy) in enumerate(points, start=1):
            print(
                f"  quick recipe, epoch {epoch}: {seconds:5.1f} s of training, test {accuracy:.2%}"
            )
        reached = [seconds for seconds, accuracy in points if accuracy >= 0.97]
        print(
            "time to 97 % test     "
            + (f"{reached[0]:7.1f} s   (target ≤ 10 s)" if reached else "not reached in 4 epochs")
        )

    if not args.skip_memory:
        for name in ("mlp", "mnist_cnn"):
            before = rss_mb()
            sizes = memory_over_trainings(dataset, name)
            growth = (sizes[-1] - sizes[1]) / (len(sizes) - 2)
            print(
                f"memory over 10 trainings of {name}: "
                + " ".join(f"{size:.0f}" for size in sizes)
                + f" MB (before {before:.0f} MB; {growth:+.1f} MB a training after the first)"
            )


if __name__ == "__main__":
    main()
