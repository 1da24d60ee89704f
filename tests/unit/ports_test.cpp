// Published ports as data: the -p syntax, the forwarder's protocol lines, the MAC rule.
#include "net/ports.hpp"

#include <catch2/catch.hpp>

#include "net/config.hpp"
#include "net/publish.hpp"
#include "util/error.hpp"

using namespace boxnet;

TEST_CASE("ports: podman's -p forms, every host address unless one is named") {
  const PortMapping a = parse_port("8080:80");
  CHECK(a.str() == "0.0.0.0:8080->80/tcp");
  CHECK(parse_port("127.0.0.1:5353:53/udp").str() == "127.0.0.1:5353->53/udp");
  CHECK(parse_port("9000:9000/tcp").str() == "0.0.0.0:9000->9000/tcp");
  // The box's port alone: any free host port, chosen when bound.
  const PortMapping any = parse_port("80");
  CHECK(any.host_port == 0);
  CHECK(any.box_port == 80);
}

TEST_CASE("ports: each mistake named, with the form expected") {
  const auto why = [](const std::string& text) {
    try {
      parse_port(text);
    } catch (const boxrt::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(why("8080:http") ==
        "port `8080:http`: `http` is not a port (1-65535) (expected "
        "[IP:]HOST_PORT:BOX_PORT[/tcp|/udp], or BOX_PORT alone for any free host port)");
  CHECK(
      why("8080:80/sctp").starts_with("port `8080:80/sctp`: the protocol is tcp or udp, not sctp"));
  CHECK(
      why("localhost:8080:80").starts_with("port `localhost:8080:80`: `localhost` is not an IPv4"));
  CHECK(why("0:80").starts_with("port `0:80`: `0` is not a port"));
  CHECK(why("70000:80").starts_with("port `70000:80`: `70000` is not a port"));
  CHECK(why("::1:80:80").starts_with("port `::1:80:80`: too many parts"));
  CHECK(why("").starts_with("port ``: `` is not a port"));
}

TEST_CASE("ports: the forwarder's lines read back as written; anything else is refused") {
  const PortMapping m = parse_port("127.0.0.1:5353:53/udp");
  const std::string line = port_line("web@work", *Ipv4::parse("10.89.0.7"), m);
  CHECK(line == "web@work 10.89.0.7 udp 127.0.0.1 5353 53");
  const auto back = parse_port_line(line);
  REQUIRE(back);
  CHECK(back->name == "web@work");
  CHECK(back->ip.str() == "10.89.0.7");
  CHECK(back->mapping.str() == m.str());
  CHECK(!parse_port_line("web 10.89.0.7 sctp 0.0.0.0 1 2"));
  CHECK(!parse_port_line("web 10.89.0.7 tcp 0.0.0.0 70000 2"));
  CHECK(!parse_port_line("web"));
}

TEST_CASE("bridge: a box's MAC is made of its address, locally administered") {
  CHECK(box_mac(*Ipv4::parse("10.89.0.5")) == "02:b0:0a:59:00:05");
  CHECK(box_mac(*Ipv4::parse("192.168.200.254")) == "02:b0:c0:a8:c8:fe");
}
