variable "trail_name" {
  type = string
}

variable "bucket_name" {
  type = string
}

variable "alert_email" {
  type = string
}
