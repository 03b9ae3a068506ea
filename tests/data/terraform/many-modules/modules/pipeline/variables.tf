variable "app" {
  type = string
}

variable "arn_prefix" {
  type = string
}
