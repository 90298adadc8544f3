/* replay.c - a main for the fuzz harnesses, for builds without a fuzzer.
 *
 *   fuzz_<name> [-v] [--no-fork] [--time] [FILE|DIR]...
 *
 * Runs LLVMFuzzerTestOneInput once per input file (directories are read
 * recursively, files in name order) and prints one line at the end:
 *   <prog>: N passed, M failed
 * With no FILE or DIR it replays the directories compiled in as
 * FUZZ_DEFAULT_DIRS (the harness's corpus and regression inputs), which is
 * how `make test` runs it. Each input runs in a child process, so a trap, a
 * sanitizer report or a crash fails that input only; --no-fork runs them in
 * this process (for a debugger). -v prints every operation the harness
 * decodes (the program an input stands for). --time prints, per input, the
 * CPU microseconds it took ("<us> <path>", in this process: implies
 * --no-fork), to find what makes a harness slow. Exit status 1 if any
 * failed. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern int fuzz_verbose;

static const char *prog = "replay";
static int passed, failed, use_fork = 1, timing;

static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int run_one(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    int status = 0;
    pid_t pid;
    if (!f) { fprintf(stderr, "%s: FAILED %s: cannot open\n", prog, path); return 0; }
    for (;;) {
        size_t got;
        if (n == cap) {
            unsigned char *nb = (unsigned char *)realloc(buf, cap = cap ? 2 * cap : 4096);
            if (!nb) { fclose(f); free(buf); fprintf(stderr, "%s: out of memory\n", prog); exit(2); }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        if (!got) break;
        n += got;
    }
    fclose(f);
    fflush(stdout);
    fflush(stderr);
    if (fuzz_verbose) fprintf(stderr, "==== %s (%zu bytes)\n", path, n);
    if (!use_fork) {
        double t0 = timing ? cpu_us() : 0;
        LLVMFuzzerTestOneInput(buf, n);
        if (timing) printf("%.0f %s\n", cpu_us() - t0, path);
        free(buf);
        return 1;
    }
    pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        LLVMFuzzerTestOneInput(buf, n);
        fflush(stderr);
        _exit(0);
    }
    free(buf);
    if (waitpid(pid, &status, 0) < 0) { perror("waitpid"); exit(2); }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 1;
    if (WIFSIGNALED(status))
        fprintf(stderr, "%s: FAILED %s (signal %d)\n", prog, path, WTERMSIG(status));
    else
        fprintf(stderr, "%s: FAILED %s (exit %d)\n", prog, path, WEXITSTATUS(status));
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: FAILED %s: no such file or directory\n", prog, path);
        failed++;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char **names = NULL;
        size_t k = 0, cap = 0, i;
        if (!d) { fprintf(stderr, "%s: FAILED %s: cannot read\n", prog, path); failed++; return; }
        while ((e = readdir(d)) != NULL) {
            size_t len;
            if (e->d_name[0] == '.') continue; /* ., .., hidden files (README in a corpus: .README) */
            len = strlen(path) + strlen(e->d_name) + 2;
            if (k == cap) {
                char **nn = (char **)realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
                if (!nn) { fprintf(stderr, "%s: out of memory\n", prog); exit(2); }
                names = nn;
            }
            names[k] = (char *)malloc(len);
            if (!names[k]) { fprintf(stderr, "%s: out of memory\n", prog); exit(2); }
            snprintf(names[k], len, "%s/%s", path, e->d_name);
            k++;
        }
        closedir(d);
        if (k) qsort(names, k, sizeof *names, by_name);
        for (i = 0; i < k; i++) { run_path(names[i]); free(names[i]); }
        free(names);
        return;
    }
    if (run_one(path)) passed++;
    else failed++;
}

int main(int argc, char **argv)
{
    int i, any = 0;
    const char *slash;
    if (argc > 0) { prog = argv[0]; if ((slash = strrchr(prog, '/')) != NULL) prog = slash + 1; }
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) fuzz_verbose = 1;
        else if (!strcmp(argv[i], "--no-fork")) use_fork = 0;
        else if (!strcmp(argv[i], "--time")) timing = 1, use_fork = 0;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: %s [-v] [--no-fork] [--time] [FILE|DIR]...\n", prog);
            return 0;
        }
    }
    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) continue;
        run_path(argv[i]);
        any = 1;
    }
#ifdef FUZZ_DEFAULT_DIRS
    if (!any) {
        static const char *const dirs[] = { FUZZ_DEFAULT_DIRS };
        size_t k;
        for (k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
            struct stat st;
            if (stat(dirs[k], &st) == 0) run_path(dirs[k]); /* a header may have no regressions yet */
        }
        any = 1;
    }
#endif
    if (!any) fprintf(stderr, "%s: no input files given\n", prog);
    printf("%s: %d passed, %d failed\n", prog, passed, failed);
    return failed != 0 || !any;
}
