// simdjson_bench - the reference point of the JSON benchmarks: how fast simdjson (Debian's
// libsimdjson-dev) parses an NDJSON file on one core, through its DOM API (parse_many) and
// its On-Demand API (iterate_many).
//
//   simdjson_bench FILE.ndjson
//
// Prints one line per API, best of 3 runs:
//   simdjson-dom <MB/s> <records/s> <records>
//   simdjson-ondemand <MB/s> <records/s> <records>
//   simdjson-dom-nowalk <MB/s> <records/s> <records>
// (MB = 10^6 bytes), and on standard error the kernel simdjson chose, the number of values
// seen and a checksum, which must agree between the two APIs. The third line is the DOM
// parse alone (the whole tape is built, but nobody reads it): the fair peer of a checker
// that only validates, where the first two include the cost of a consumer.
//
// What is timed: parsing plus a walk that visits every value of every record (objects,
// arrays, strings unescaped, numbers converted, keys unescaped), so that the On-Demand
// API, which parses lazily, cannot skip anything. The file is read into a padded buffer
// before the clock starts. Any parse error ends the program with exit code 1.
//
// Built by bench/run_json.sh, not by CMake:
//   g++ -O3 -march=native -std=c++17 bench/simdjson_bench.cpp -lsimdjson -o BUILD/simdjson_bench
//
// One thread. parse_many and iterate_many can index the next batch (stage 1) on a second
// thread while this one walks the current batch; that code is inline in simdjson.h (so it
// is compiled into this file, not into libsimdjson.so) and exists only when
// SIMDJSON_THREADS_ENABLED is defined. simdjson.h defines that macro by itself when the
// compiler defines _REENTRANT or _MT, which g++ does for -pthread; the command above has
// no -pthread, so the threaded code is not even compiled. A build that does define it
// (with -pthread, or through CMake's simdjson::simdjson target, which exports
// SIMDJSON_THREADS_ENABLED=1) gets the parsers' documented `threaded` flag cleared below,
// which makes the stream run stage 1 inline on the calling thread. Either way, the program
// counts the threads of the process in the middle of the first parse and fails if there
// is more than one.

#include <simdjson.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

using namespace simdjson;

namespace {

struct tally {
    uint64_t records = 0;
    uint64_t values = 0;
    uint64_t checksum = 0; // string lengths and number bits: makes the walk observable
};

[[noreturn]] void fail(const char *what, error_code e)
{
    std::fprintf(stderr, "simdjson_bench: %s: %s\n", what, error_message(e));
    std::exit(1);
}

// Threads of this process, from /proc/self/status (0 when unknown).
int thread_count()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.compare(0, 8, "Threads:") == 0)
            return std::atoi(line.c_str() + 8);
    return 0;
}

void check_single_thread(bool &checked)
{
    if (checked)
        return;
    checked = true;
    int n = thread_count();
    if (n > 1) {
        std::fprintf(stderr, "simdjson_bench: %d threads during parse_many; expected 1\n", n);
        std::exit(1);
    }
}

uint64_t bits_of(double d)
{
    uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    return u;
}

// ---- DOM ----

void walk_dom(dom::element e, tally &t)
{
    t.values++;
    switch (e.type()) {
    case dom::element_type::OBJECT:
        for (dom::key_value_pair kv : dom::object(e)) {
            t.checksum += kv.key.size();
            walk_dom(kv.value, t);
        }
        break;
    case dom::element_type::ARRAY:
        for (dom::element child : dom::array(e))
            walk_dom(child, t);
        break;
    case dom::element_type::STRING:
        t.checksum += std::string_view(e).size();
        break;
    case dom::element_type::INT64:
        t.checksum += uint64_t(int64_t(e));
        break;
    case dom::element_type::UINT64:
        t.checksum += uint64_t(e);
        break;
    case dom::element_type::DOUBLE:
        t.checksum += bits_of(double(e));
        break;
    case dom::element_type::BOOL:
        t.checksum += bool(e);
        break;
    case dom::element_type::NULL_VALUE:
        break;
    }
}

tally run_dom(dom::parser &parser, const padded_string &json, bool walk, bool &checked)
{
    tally t;
    dom::document_stream stream;
    error_code err = parser.parse_many(json).get(stream);
    if (err)
        fail("parse_many", err);
    for (auto doc : stream) {
        dom::element root;
        if ((err = doc.get(root)))
            fail("parse_many: record", err);
        if (walk)
            walk_dom(root, t);
        t.records++;
        if (t.records == 1000)
            check_single_thread(checked);
    }
    return t;
}

// ---- On-Demand ----

void walk_od(ondemand::value v, tally &t);

void walk_od_object(ondemand::object obj, tally &t)
{
    for (auto field : obj) {
        std::string_view key;
        error_code err = field.unescaped_key().get(key);
        if (err)
            fail("iterate_many: key", err);
        t.checksum += key.size();
        ondemand::value child;
        if ((err = field.value().get(child)))
            fail("iterate_many: value", err);
        walk_od(child, t);
    }
}

void walk_od(ondemand::value v, tally &t)
{
    t.values++;
    ondemand::json_type type;
    error_code err = v.type().get(type);
    if (err)
        fail("iterate_many: type", err);
    switch (type) {
    case ondemand::json_type::object: {
        ondemand::object obj;
        if ((err = v.get_object().get(obj)))
            fail("iterate_many: object", err);
        walk_od_object(obj, t);
        break;
    }
    case ondemand::json_type::array: {
        ondemand::array arr;
        if ((err = v.get_array().get(arr)))
            fail("iterate_many: array", err);
        for (auto item : arr) {
            ondemand::value child;
            if ((err = item.get(child)))
                fail("iterate_many: array item", err);
            walk_od(child, t);
        }
        break;
    }
    case ondemand::json_type::string: {
        std::string_view s;
        if ((err = v.get_string().get(s)))
            fail("iterate_many: string", err);
        t.checksum += s.size();
        break;
    }
    case ondemand::json_type::number: {
        ondemand::number n;
        if ((err = v.get_number().get(n)))
            fail("iterate_many: number", err);
        switch (n.get_number_type()) {
        case ondemand::number_type::signed_integer:
            t.checksum += uint64_t(n.get_int64());
            break;
        case ondemand::number_type::unsigned_integer:
            t.checksum += n.get_uint64();
            break;
        default:
            t.checksum += bits_of(n.get_double());
            break;
        }
        break;
    }
    case ondemand::json_type::boolean: {
        bool b;
        if ((err = v.get_bool().get(b)))
            fail("iterate_many: bool", err);
        t.checksum += b;
        break;
    }
    case ondemand::json_type::null: {
        bool is_null;
        if ((err = v.is_null().get(is_null)) || !is_null)
            fail("iterate_many: null", err ? err : INCORRECT_TYPE);
        break;
    }
    }
}

tally run_ondemand(ondemand::parser &parser, const padded_string &json, bool &checked)
{
    tally t;
    ondemand::document_stream stream;
    error_code err = parser.iterate_many(json).get(stream);
    if (err)
        fail("iterate_many", err);
    for (auto doc_result : stream) {
        ondemand::document_reference doc;
        if ((err = std::move(doc_result).get(doc)))
            fail("iterate_many: record", err);
        // Every record of our NDJSON is an object; a scalar record would fail here.
        ondemand::object obj;
        if ((err = doc.get_object().get(obj)))
            fail("iterate_many: record", err);
        t.values++;
        walk_od_object(obj, t);
        t.records++;
        if (t.records == 1000)
            check_single_thread(checked);
    }
    // document_stream reports a truncated last record through its error, not a document.
    return t;
}

template <typename Fn> void best_of_3(const char *name, size_t n_bytes, Fn run)
{
    double best = 1e300;
    tally t;
    for (int i = 0; i < 3; i++) {
        auto start = std::chrono::steady_clock::now();
        t = run();
        std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
        if (d.count() < best)
            best = d.count();
    }
    std::printf("%s %.1f %.0f %" PRIu64 "\n", name, double(n_bytes) / best / 1e6,
                double(t.records) / best, t.records);
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %" PRIu64 " values, checksum %016" PRIx64 ", best %.3f s\n",
                 name, t.values, t.checksum, best);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: simdjson_bench FILE.ndjson\n");
        return 2;
    }
    padded_string json;
    error_code err = padded_string::load(argv[1]).get(json);
    if (err)
        fail(argv[1], err);
    std::fprintf(stderr, "simdjson %d.%d.%d, kernel %s (%s)\n", int(SIMDJSON_VERSION_MAJOR),
                 int(SIMDJSON_VERSION_MINOR), int(SIMDJSON_VERSION_REVISION),
                 get_active_implementation()->name().c_str(),
                 get_active_implementation()->description().c_str());

    dom::parser dom_parser;
    ondemand::parser od_parser;
#ifdef SIMDJSON_THREADS_ENABLED
    dom_parser.threaded = false;
    od_parser.threaded = false;
    std::fprintf(stderr, "threads compiled in; disabled with parser.threaded = false\n");
#else
    std::fprintf(stderr, "threads not compiled in (SIMDJSON_THREADS_ENABLED undefined)\n");
#endif
    bool checked = false;
    best_of_3("simdjson-dom", json.size(),
              [&] { return run_dom(dom_parser, json, true, checked); });
    checked = false;
    best_of_3("simdjson-ondemand", json.size(),
              [&] { return run_ondemand(od_parser, json, checked); });
    checked = false;
    best_of_3("simdjson-dom-nowalk", json.size(),
              [&] { return run_dom(dom_parser, json, false, checked); });
    return 0;
}
