variable "name" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = "10.100.0.0/16"
  tags = { Name = var.name }
}
