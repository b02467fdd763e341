# frozen_string_literal: true

module Repoll
  # Reads and writes C structs in a String, with the size and field offsets
  # of repoll.json (never hand-kept): pack templates are built from them.
  class Layout
    # C type => [String#pack code (native byte order), size].
    CODES = {
      "int32_t" => ["l", 4], "uint32_t" => ["L", 4], "int" => ["i!", 4],
      "int64_t" => ["q", 8], "uint64_t" => ["Q", 8],
    }.freeze

    attr_reader :size

    def initialize(struct)
      @struct = struct
      @size = struct.size
    end

    def offset(field)
      @struct.fields.fetch(field) { raise LoadError, "repoll: #{@struct.name} has no field #{field}" }[1]
    end

    # A template that unpacks `fields` (in this order) from one record
    # starting at the unpack offset; the fields must be given in offset order.
    def reader(*fields)
      build(fields, pad_to_size: false)
    end

    # A template that packs one whole record from values given for every
    # field in offset order (padding and trailing bytes zeroed).
    def writer
      build(fields_in_order, pad_to_size: true)
    end

    # The field names in offset order (the order #writer takes values in).
    def fields_in_order
      @struct.fields.keys.sort_by { |f| offset(f) }
    end

    private

    def build(fields, pad_to_size:)
      cursor = 0
      template = +""
      fields.each do |f|
        type, off = @struct.fields.fetch(f) { raise LoadError, "repoll: #{@struct.name} has no field #{f}" }
        code, bytes = CODES.fetch(type) { raise LoadError, "repoll: #{@struct.name}.#{f} has type #{type}, unknown to this binding" }
        raise LoadError, "repoll: #{@struct.name} fields out of order at #{f}" if off < cursor

        template << "x#{off - cursor}" if off > cursor
        template << code
        cursor = off + bytes
      end
      template << "x#{@size - cursor}" if pad_to_size && @size > cursor
      template.freeze
    end
  end
end
