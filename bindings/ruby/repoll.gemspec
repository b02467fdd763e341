# frozen_string_literal: true

# The gem's version is the library's, read from the repository's Cargo.toml
# (build the gem from the repository: `gem build repoll.gemspec`).
cargo = File.expand_path("../../Cargo.toml", __dir__)
version = File.read(cargo)[/^version\s*=\s*"([^"]+)"/, 1]

Gem::Specification.new do |spec|
  spec.name = "repoll"
  spec.version = version
  spec.authors = ["The repoll authors"]
  spec.summary = "Linux epoll done right (Rust core), with a waker, timers and signals"
  spec.description = "Fiddle binding of librepoll: Repoll::Poller registers IOs, waits " \
                     "(releasing the GVL, interruptible), and reports fds, wakes, timers " \
                     "and signals as [data, events] pairs. No compiler needed; needs " \
                     "librepoll.so and its repoll.json."
  spec.licenses = ["MIT", "Apache-2.0"]
  spec.platform = Gem::Platform::RUBY
  spec.required_ruby_version = ">= 3.1" # String#unpack(offset:), Fiddle need_gvl:
  spec.files = Dir["lib/**/*.rb", "examples/*.rb", "README.md"]
  spec.require_paths = ["lib"]
  spec.requirements << "librepoll.so (REPOLL_LIBRARY, or librepoll.so.0 on the loader path)"
  spec.requirements << "repoll.json (beside the library's headers, $prefix/share/repoll, or REPOLL_JSON)"
  spec.add_development_dependency "minitest", "~> 5.0"
end
